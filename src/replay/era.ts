/**
 * Era detection from the events present: which fields and kinds the probes produced.
 * Decided on the first decisive event; the reason names it.
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';

export interface EraDecision {
  era: Era;
  reason: string;
}

/** A decision from one event, or undefined if the event says nothing about the era. */
export function eraSignal(e: CanonicalEvent): EraDecision | undefined {
  const at = `${e.file}:${e.line}`;
  if (e.kind === 'fnhe') return { era: 'fnhe', reason: `next-hop exception events (${e.probe ?? 'fnhe'} at ${at})` };
  if (e.counter === 'rt' || e.counter === 'fnhe') return { era: 'fnhe', reason: `a namespace ${e.counter}_genid counter (${at})` };
  if (e.obsolete === -2) return { era: 'fnhe', reason: `DST_OBSOLETE_KILL (-2) on a route (${at})` };
  if (e.net !== undefined && (e.kind === 'route' || e.kind === 'flush' || e.kind === 'check')) return { era: 'fnhe', reason: `per-namespace genids (net pointer at ${at})` };
  if (e.counter === 'peer') return { era: 'pmtu-redirect', reason: `the global peer genid moves in a bump path (${e.probe ?? e.kind} at ${at})` };
  if ((e.kind === 'pmtu' || e.kind === 'redirect') && e.genid !== undefined) return { era: 'pmtu-redirect', reason: `PMTU/redirect paths carrying the global peer genid (${at})` };
  if ((e.kind === 'check' || e.kind === 'bind') && e.peer !== undefined) {
    return { era: 'pmtu-redirect', reason: `routes carry rt->peer and rt_peer_genid (${at}); no released kernel has the seed without its PMTU/redirect follow-ups` };
  }
  return undefined;
}
