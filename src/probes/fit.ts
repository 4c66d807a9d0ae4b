/**
 * Kernels before 2.6.39 read kprobe_events through a 128-byte buffer: a definition of 128 bytes
 * or more is refused (EINVAL, and no error_log to say why; the patch commit's own kernel is one
 * of them). A probe whose line is longer gets a short fallback with the same event and field
 * names. The guest tries the full line first, so kernels without the limit lose nothing; the
 * fields a fallback leaves out are absent from its trace lines, and the reader never guesses them.
 */
import type { ProbeDef } from './types.ts';

/** Longest definition the oldest tracers accept (WRITE_BUFSIZE 128 with its newline). */
export const SHORT_LINE_MAX = 127;

/**
 * What the replay models read first (route, peer, both genids, the verdict, the MTU): dropped
 * last. Addresses, flags and gateways, which the contract observes from user space too, go first.
 */
const KEEP = ['rt', 'ret', 'peer', 'rt_pgenid', 'g', 'mtu', 'new_mtu', 'create', 'obsolete'];

/** A fallback line of at most `max` bytes, or undefined when the probe's lines already fit. */
export function shortFallback(def: ProbeDef, max = SHORT_LINE_MAX): { line: string; dropped: string[] } | undefined {
  const base = def.fallback ?? def.line;
  if (base.length <= max) return undefined;
  const parts = base.split(' ');
  const head = parts.slice(0, 2);
  const args = parts.slice(2);
  const name = (a: string) => a.split('=')[0]!;
  const dropped: string[] = [];
  const len = () => [...head, ...args].join(' ').length;
  while (args.length > 0 && len() > max) {
    // The last field not worth keeping, else the last field.
    let i = args.length - 1;
    while (i >= 0 && KEEP.includes(name(args[i]!))) i--;
    if (i < 0) i = args.length - 1;
    dropped.unshift(name(args.splice(i, 1)[0]!));
  }
  return { line: [...head, ...args].join(' '), dropped };
}
