/**
 * Decoding the PMTU state the cache-era probes show: the route's MTU (dst_mtu) from whatever the
 * probe fetched, jiffies comparisons, and what check_peer_pmtu must leave in the route.
 * Pure functions; "unknown" is a value here, never a guess.
 */
import type { CanonicalEvent } from '../trace/events.ts';

/** RTCF_REDIRECTED in the route cache eras (include/linux/in_route.h, 2.6.39 .. 3.5). */
export const RTCF_REDIRECTED = 0x40000;

/**
 * Jiffies the probe's reading may lag the kernel's own read of jiffies by (a tick between the
 * probe and the comparison): an expiry this close to `now` is not judged either way.
 */
export const JIFFIES_SLACK = 2;

export type Known<T> = { value: T } | { unknown: string };

/**
 * The raw RTAX_MTU metric the event shows: from `metrics` (the dst->_metrics word: its low bit is
 * DST_METRICS_READ_ONLY, and then the read at +K is one byte off, so the +(K-1) read is the
 * right one) with `mtuMetric` / `mtuMetricRo`.
 */
export function rawMtuMetric(e: CanonicalEvent): Known<number> {
  if (e.metrics === undefined) return { unknown: 'the route\'s metrics word (dst->_metrics) not observed' };
  const last = e.metrics.charCodeAt(e.metrics.length - 1);
  // Pointers are lower-case hex: the low bit is the last digit's.
  const digit = last >= 97 ? last - 87 : last - 48;
  const ro = (digit & 1) === 1;
  const v = ro ? e.mtuMetricRo : e.mtuMetric;
  if (v === undefined) return { unknown: ro ? 'read-only metrics: the value at +(K-1) not observed' : 'the MTU metric not observed' };
  if (/^0x0+$/.test(e.metrics) || e.metrics === '0' || (ro && /^0x0*1$/.test(e.metrics))) return { unknown: 'the route has no metrics array (NULL _metrics)' };
  return { value: v >>> 0 };
}

/**
 * dst_mtu(): the route's effective MTU. `rtMtu` when a probe gives it directly; else the raw
 * metric, where 0 means the device MTU (the route's dst_ops default).
 */
export function routeMtu(e: CanonicalEvent): Known<number> {
  if (e.rtMtu !== undefined) return { value: e.rtMtu };
  const raw = rawMtuMetric(e);
  if ('unknown' in raw) return e.metrics === undefined ? { unknown: 'the route\'s MTU not observed (rtMtu / dst->_metrics)' } : raw;
  if (raw.value !== 0) return raw;
  if (e.devMtu !== undefined) return { value: e.devMtu };
  return { unknown: 'raw MTU metric 0 (the device MTU) and the device MTU not observed' };
}

/** time_before(a, b) on unsigned long jiffies (values below 2^53: the signed difference). */
export function timeBefore(a: number, b: number): boolean {
  return a - b < 0;
}

/** What check_peer_pmtu must do, given the peer's state at its entry and the route's MTU then. */
export type PmtuAction =
  | { kind: 'none'; why: string }
  | { kind: 'apply'; mtu: number; saveOrig: boolean }
  /** Unexpired, the route's MTU before not observed: afterwards it is at most the learned value (applied, or already lower). */
  | { kind: 'atMost'; mtu: number }
  | { kind: 'keep'; why: string }
  | { kind: 'expire'; restore: Known<number> }
  | { kind: 'unknown'; why: string };

/**
 * The post-46af3180 check_peer_pmtu (2.6.39 .. 3.5): nothing learned (pmtu_expires 0) -> nothing;
 * unexpired -> apply pmtu_learned if it lowers dst_mtu (saving pmtu_orig if 0); expired -> the
 * winner of the cmpxchg on pmtu_expires restores pmtu_orig (0 = the device MTU).
 */
export function expectedPmtuAction(pp: CanonicalEvent, mtu0: Known<number>, devMtu: number | undefined): PmtuAction {
  const e = pp.pmtuExpires;
  if (e === undefined) return { kind: 'unknown', why: 'pmtu_expires not observed at check_peer_pmtu' };
  if (e === 0) return { kind: 'none', why: 'nothing learned (pmtu_expires 0)' };
  const now = pp.now;
  if (now === undefined) return { kind: 'unknown', why: 'jiffies not observed at check_peer_pmtu' };
  // A jiffies symbol the kprobe could not really read (an absolute alias) reads 0; the 64-bit
  // counter starts at 2^32 - 300 s and never comes back to 0.
  if (now === 0) return { kind: 'unknown', why: 'jiffies read as 0 (the probe\'s jiffies symbol is not readable)' };
  if (Math.abs(now - e) <= JIFFIES_SLACK) return { kind: 'unknown', why: 'the learned PMTU expires within a tick of the probe\'s jiffies' };
  if (timeBefore(now, e)) {
    if (pp.pmtuLearned === undefined) return { kind: 'unknown', why: 'pmtu_learned not observed' };
    if ('unknown' in mtu0) return { kind: 'atMost', mtu: pp.pmtuLearned };
    if (pp.pmtuLearned < mtu0.value) return { kind: 'apply', mtu: pp.pmtuLearned, saveOrig: pp.pmtuOrig === 0 };
    return { kind: 'keep', why: `learned ${pp.pmtuLearned} does not lower ${mtu0.value}` };
  }
  if (pp.pmtuOrig === undefined) return { kind: 'expire', restore: { unknown: 'pmtu_orig not observed' } };
  if (pp.pmtuOrig !== 0) return { kind: 'expire', restore: { value: pp.pmtuOrig } };
  const dev = devMtu ?? pp.devMtu;
  return { kind: 'expire', restore: dev !== undefined ? { value: dev } : { unknown: 'pmtu_orig 0 restores the device MTU, which was not observed' } };
}

/**
 * The plateau and floor rules of ip_rt_frag_needed (2.6.39 .. 3.5): which PMTU a frag-needed
 * learns, if the trace shows enough to say. `mtu` is what the function returned (est_mtu if it
 * learned, else the announced value), `icmpMtu` the announced value, `minPmtu` ip_rt_min_pmtu,
 * `oldMtu` the quoted packet's length.
 * Returns the bound the peer's learned PMTU must respect afterwards (learned <= bound while valid).
 */
export function fragNeededBound(e: CanonicalEvent): Known<number> {
  if (e.mtu === undefined) return { unknown: 'the MTU ip_rt_frag_needed returned not observed' };
  if (e.icmpMtu === undefined) return { unknown: 'the announced MTU (new_mtu) not observed' };
  // It returned something other than the announced MTU: that is est_mtu, exactly what it learned.
  if (e.mtu !== e.icmpMtu) return { value: e.mtu };
  // Same value: either it learned the announced MTU as is, or it learned nothing because the peer
  // already held a lower one. Both give learned <= announced, unless the floor or the plateau
  // guess changed the value it compared.
  if (e.icmpMtu < 68) return { unknown: 'announced MTU below 68: the plateau guess applies' };
  if (e.oldMtu === undefined) return { unknown: 'the quoted packet length not observed (plateau rule undecidable)' };
  if (e.icmpMtu >= e.oldMtu) return { unknown: 'announced MTU not below the quoted length: the plateau guess applies' };
  if (e.minPmtu === undefined) return { unknown: 'ip_rt_min_pmtu not observed' };
  return { value: Math.max(e.icmpMtu, e.minPmtu) };
}

/** ip_rt_update_pmtu: learned <= max(mtu, ip_rt_min_pmtu) afterwards. */
export function updatePmtuBound(e: CanonicalEvent): Known<number> {
  if (e.mtu === undefined) return { unknown: 'the MTU passed to update_pmtu not observed' };
  if (e.minPmtu === undefined) return { unknown: 'ip_rt_min_pmtu not observed' };
  return { value: Math.max(e.mtu, e.minPmtu) };
}

export const isNullPtr = (p: string | undefined) => p !== undefined && (p === '0' || /^0x0+$/.test(p));
export const noGateway = (g: string | undefined) => g === undefined || g === '0.0.0.0';
