/**
 * An analyser named by module and export, so that worker threads can load the same function
 * the main thread would call (functions cannot be sent to a worker).
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { Analyse, TreeSources, Verdict } from './types.ts';

export interface AnalyserRef {
  /** A file URL or an absolute path of an ES module (.ts works: workers register tsx). */
  module: string;
  /** The exported function `(sources) => Verdict`; default 'analyse'. */
  exportName?: string;
}

/** The default analyser: era detection, facts, and the differential check (src/scan/analyse.ts). */
export const DEFAULT_ANALYSER: AnalyserRef = {
  // The compiled build (dist/) holds analyse.js beside this module; the sources, analyse.ts.
  module: new URL(import.meta.url.endsWith('.js') ? './analyse.js' : './analyse.ts', import.meta.url).href,
  exportName: 'analyse',
};

export function moduleUrl(ref: AnalyserRef): string {
  return isAbsolute(ref.module) ? pathToFileURL(ref.module).href : ref.module;
}

/** Imports the analyser function of a reference. */
export async function loadAnalyser(ref: AnalyserRef): Promise<Analyse> {
  const mod = (await import(moduleUrl(ref))) as Record<string, unknown>;
  const fn = mod[ref.exportName ?? 'analyse'];
  if (typeof fn !== 'function') throw new Error(`analyser ${ref.module} has no exported function ${ref.exportName ?? 'analyse'}`);
  return fn as Analyse;
}

/**
 * Optional exports of an analyser module that let worker threads share what they learned
 * (e.g. memoised check results): the pool forwards what one worker exports to the others.
 */
export interface SharedStateHooks {
  exportShared(): unknown[];
  importShared(items: unknown[]): void;
}

export async function loadSharedHooks(ref: AnalyserRef): Promise<SharedStateHooks | undefined> {
  const mod = (await import(moduleUrl(ref))) as Record<string, unknown>;
  if (typeof mod.exportShared === 'function' && typeof mod.importShared === 'function') {
    return { exportShared: mod.exportShared as SharedStateHooks['exportShared'], importShared: mod.importShared as SharedStateHooks['importShared'] };
  }
  return undefined;
}

/**
 * Runs an analyser so that it never throws: an unexpected exception becomes a 'skipped'
 * verdict naming it (one bad revision must not abort a 1,000-revision scan, nor pass).
 */
export async function runSafely(fn: Analyse, sources: TreeSources): Promise<Verdict> {
  try {
    return await fn(sources);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      status: 'skipped',
      era: 'unknown',
      checked: 'none',
      reason: `skipped: internal error during analysis: ${msg.split('\n')[0]}`,
    };
  }
}
