/**
 * What the cache-era trackers share: the per-route record, the bounds that keep memory constant,
 * and the small decoders every tracker needs (NULL pointers as readers print them, u32 genids).
 */
import type { CanonicalEvent } from '../../trace/events.ts';
import { Ring } from '../coverage.ts';

/** The NULL pointer as the trackers store it. */
export const NULL = '0x0';

/**
 * Per-context maps keep a context's slot after its call returns (set to undefined: no Map delete
 * per return); past this many contexts the empty slots are dropped.
 */
export const MAX_CONTEXTS = 1 << 14;

/** Calls of one kind open at once in one context: an interrupt's call nested in its task's, rarely more. */
export const MAX_NESTED = 8;

export function prune<V>(m: Map<number, V | undefined>): void {
  for (const [k, v] of m) if (v === undefined) m.delete(k);
}

export function pruneEmpty<V>(m: Map<number, V[]>): void {
  for (const [k, v] of m) if (v.length === 0) m.delete(k);
}

/** A NULL pointer as readers print it ('0x0', '0', '0x00000000'); cheap for the common non-NULL case. */
export const isNull = (p: string | undefined): boolean =>
  p !== undefined && (p === '0x0' || p === '0' || (p.length > 3 && p.charCodeAt(2) === 48 && /^0x0+$/.test(p)));

export const u32 = (x: number): number => x >>> 0;

/** A route as replay knows it (one lifetime: a reused pointer starts a new record). */
export interface RouteRec {
  ptr: string;
  daddr?: string;
  /** Known peer pointer; NULL for none; undefined = unknown. */
  peer?: string;
  rtGenid?: number;
  /** Something not attributed to a route (an inlined bind for its destination, update_pmtu) may have stamped it. */
  mayStamp: boolean;
  /** Flush count when the route was first seen / created. */
  flushAtSight: number;
  /** Its history crosses a lost-events gap: cross-event checks are not made until it is seen whole again. */
  incomplete: boolean;
  hist: Ring;
}

/** A copy of a history ring as it is now (a deferred divergence shows the history of its moment). */
export function snapshotRing(r: Ring, size: number): Ring {
  const copy = new Ring(size);
  for (const e of r.items()) copy.push(e);
  return copy;
}

export function describeBind(e: CanonicalEvent): string {
  return `bind create=${e.create ?? '?'}${e.daddr ? ` daddr=${e.daddr}` : ''}`;
}
