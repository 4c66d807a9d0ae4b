/**
 * Era detection from the events present: which fields and kinds the probes produced.
 * Decided on the first decisive event; the reason names it.
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';

export interface EraDecision {
  era: Era;
  reason: string;
  /** A weak signal is only a default: a later strong one overrides it. */
  weak?: boolean;
}

/** A decision from one event, or undefined if the event says nothing about the era. */
export function eraSignal(e: CanonicalEvent): EraDecision | undefined {
  const at = `${e.file}:${e.line}`;
  if (e.kind === 'fnhe') return { era: 'fnhe', reason: `next-hop exception events (${e.probe ?? 'fnhe'} at ${at})` };
  if (e.counter === 'rt' || e.counter === 'fnhe') return { era: 'fnhe', reason: `a namespace ${e.counter}_genid counter (${at})` };
  if (e.obsolete === -2) return { era: 'fnhe', reason: `DST_OBSOLETE_KILL (-2) on a route (${at})` };
  if (e.net !== undefined && (e.kind === 'route' || e.kind === 'flush' || e.kind === 'check')) return { era: 'fnhe', reason: `per-namespace genids (net pointer at ${at})` };
  if ((e.kind === 'pmtu' || e.kind === 'redirect') && (e.genid !== undefined || e.peer !== undefined)) return { era: 'pmtu-redirect', reason: `PMTU/redirect paths on the global peer genid (${e.probe ?? e.kind} at ${at})` };
  if (e.kind === 'route' && e.peer !== undefined && /^0x0+$/.test(e.peer) && e.rtGenid !== undefined && e.genid !== undefined && e.rtGenid === e.genid && e.genid !== 0) {
    return { era: 'seed', reason: `a new route without a peer stamped with the current genid ${e.genid} (${at}): the seed's creation stamping, removed by 3c0afdca in 2.6.39` };
  }
  if (e.counter === 'peer') return { era: 'pmtu-redirect', reason: `the global peer genid moves (${e.probe ?? e.kind} at ${at})`, weak: true };
  if ((e.kind === 'check' || e.kind === 'bind') && e.peer !== undefined) {
    return { era: 'pmtu-redirect', reason: `routes carry rt->peer and rt_peer_genid (${at}); no released kernel has the seed without its PMTU/redirect follow-ups`, weak: true };
  }
  return undefined;
}
