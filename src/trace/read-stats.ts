/** The statistics of a trace being read, before anything is read. */
import type { EventKind } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import type { TraceReadStats } from './types.ts';
import { SKIP_KINDS } from './types.ts';

export function emptyStats(file: string): TraceReadStats {
  const eventsByKind = {} as Record<EventKind, number>;
  for (const k of EVENT_KINDS) eventsByKind[k] = 0;
  const skipped = {} as TraceReadStats['skipped'];
  for (const k of SKIP_KINDS) skipped[k] = { count: 0, lines: [] };
  return {
    file, format: 'unknown', bytes: 0, lines: 0, eventLines: 0, events: 0, eventsByKind, probeHits: {}, skipped,
    unknownEvents: {}, unmatched: {}, unpairedReturns: 0, entryNeverFired: [], gaps: [], probesRefused: [], probesRegistered: [],
    probeMap: { name: 'none', source: 'none', chosenBy: 'none', reason: 'not chosen yet' }, warnings: [],
    complete: false,
  };
}

/** The return probes with hits whose entry probe has none (TraceReadStats.entryNeverFired), sorted. */
export function entryNeverFired(plans: Iterable<{ name: string; returnOf?: string }>, hits: Readonly<Record<string, number>>): string[] {
  const out = new Set<string>();
  for (const p of plans) if (p.returnOf !== undefined && (hits[p.name] ?? 0) > 0 && !((hits[p.returnOf] ?? 0) > 0)) out.add(p.name);
  return [...out].sort();
}
