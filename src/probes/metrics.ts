/**
 * Probe reads the plan's expression language cannot say, derived from fields it can:
 *
 * - the route's MTU metric in the cache eras (2.6.39 .. 3.5). `dst->_metrics` is an unsigned long
 *   holding a pointer to the u32 metrics array, its low bit DST_METRICS_READ_ONLY. A kprobe
 *   dereference of `+K(word)` reads one byte off when the bit is set, so both `+K` and `+(K-1)`
 *   are fetched and the decoder (src/replay/pmtu-state.ts) picks by the word's low bit.
 *   K = (RTAX_MTU - 1) * 4 (dst_metric_raw indexes the array by metric - 1), with RTAX_MTU
 *   taken from the kernel's own types, never from a table;
 * - jiffies (and pmtu_expires) are unsigned long: a `@jiffies` read is widened to 64 bits.
 */
import type { KernelTypes } from '../kernel/btf/types.ts';
import type { ProbeDef, ProbeField } from './types.ts';

/** The field a plan names `metrics` (the raw `_metrics` word) gets these two companions. */
export const METRIC_READS = { word: 'metrics', atK: 'mtu_k', atKMinus1: 'mtu_k1' } as const;

/** A register-syntax fetch (`+0x50($retval)`, `%di`) that can be dereferenced once more. */
const REG_FETCH = /^(?:[+-](?:0x[0-9a-f]+|\d+)\(.*\)|%[a-z0-9]+|\$retval|\$arg\d+)$/;

/**
 * Adds the derived reads to a probe's fields (in place), recording why one is left out. Returns
 * the fields added.
 */
export function deriveRouteReads(fields: ProbeField[], types: KernelTypes, dropped: ProbeDef['dropped'], noHex: boolean): ProbeField[] {
  const added: ProbeField[] = [];
  for (const f of fields) {
    if (f.expr === '@jiffies' || f.expr === '@__jiffies' || f.expr === '@jiffies_64') {
      f.type = noHex ? 'u64' : 'x64';
      f.size = 8;
    }
  }
  const word = fields.find((f) => f.name === METRIC_READS.word);
  if (!word) return added;
  const rtaxMtu = types.enumerators?.RTAX_MTU;
  if (rtaxMtu === undefined || rtaxMtu < 1) {
    dropped.push({ field: `${METRIC_READS.atK}, ${METRIC_READS.atKMinus1}`, reason: 'RTAX_MTU not found in the kernel\'s types (enumerators)' });
    return added;
  }
  const k = (rtaxMtu - 1) * 4;
  const derive = (fetch: string | undefined, off: number): string | undefined => (fetch !== undefined && REG_FETCH.test(fetch) ? `+${off}(${fetch})` : undefined);
  const atK = derive(word.fetch, k);
  if (atK === undefined) {
    dropped.push({ field: `${METRIC_READS.atK}, ${METRIC_READS.atKMinus1}`, reason: `the metrics word's fetch '${word.fetch}' is not in register syntax` });
    return added;
  }
  const mk = (name: string, off: number): ProbeField => ({
    name,
    expr: `${word.expr} [u32 at +${off}]`,
    fetch: derive(word.fetch, off)!,
    fallbackFetch: derive(word.fallbackFetch, off),
    type: 'u32',
    as: 'int',
    size: 4,
    signed: false,
  });
  added.push(mk(METRIC_READS.atK, k), mk(METRIC_READS.atKMinus1, k - 1));
  fields.splice(fields.indexOf(word) + 1, 0, ...added);
  return added;
}
