/**
 * The KCIDB checkout of source that peerprop reads without compiling a kernel (review, verify,
 * scan of a tree): a tree, optionally with patches applied in memory, and one build standing for
 * "the source as read" (no status: nothing was compiled).
 */
import { readFileSync } from 'node:fs';
import type { KcidbBuildIn, KcidbCheckoutIn, KcidbTestIn } from './kcidb.ts';
import { sha256 } from './kcidb.ts';

export interface SourceCheckout {
  /** The tree the patches apply to (as given), if any. */
  tree?: string;
  /** Patch files, in order; '-' is standard input (not re-readable: named only). */
  patches?: string[];
  /** false when the source could not be put together (a patch did not apply). */
  valid: boolean;
  /** Why not valid, or what the reader repaired. */
  log?: string[];
  tests: KcidbTestIn[];
}

/** sha256 of a patch file's bytes, or undefined when it cannot be read again (stdin, gone). */
export function patchFileSha256(path: string): string | undefined {
  if (path === '-') return undefined;
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

export function sourceCheckout(s: SourceCheckout): KcidbCheckoutIn {
  const patches = s.patches ?? [];
  const digests = patches.map(patchFileSha256);
  const known = digests.every((d): d is string => d !== undefined);
  const build: KcidbBuildIn = {
    key: 'source',
    comment: 'the source as read by peerprop (parsed and evaluated, no kernel compiled)',
    misc: { kind: 'source-analysis' },
    tests: s.tests,
  };
  const what = [s.tree ? `tree ${s.tree}` : 'no tree (the patch hunks alone)', ...patches.map((p) => `patch ${p}`)];
  return {
    // Content where we have it (patch bytes), names where we do not.
    key: ['source', s.tree ?? '', ...patches.map((p, i) => digests[i] ?? `name:${p}`)].join('\0'),
    comment: what.join(' + '),
    ...(patches.length && known ? { patchSha256: digests as string[] } : {}),
    valid: s.valid,
    ...(s.log?.length ? { log: s.log } : {}),
    misc: { ...(s.tree ? { tree: s.tree } : {}), ...(patches.length ? { patches } : {}) },
    builds: [build],
  };
}
