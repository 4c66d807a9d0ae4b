/**
 * Which probe map reads a trace: the user's, or the built-in map that knows the probe names (and
 * argument names) seen in the trace's first MB; none for JSON lines, which carry canonical events.
 */
import type { ProbeMap } from './probemap.ts';
import type { OpenTraceOptions, ProbeMapChoice, TraceFormat } from './types.ts';
import { builtinProbeMaps, selectProbeMap } from './maps/index.ts';
import { sniffProbeNames } from './detect.ts';

const EMPTY_MAP: ProbeMap = { name: 'none', source: 'none', rules: [] };

/** The map for a trace of this format whose first MB is `head`, and why it was chosen. */
export function chooseProbeMap(format: TraceFormat, head: string, opts: OpenTraceOptions): { map: ProbeMap; choice: ProbeMapChoice } {
  if (format === 'jsonl') {
    return { map: EMPTY_MAP, choice: { name: 'none', source: 'none', chosenBy: 'none', reason: 'JSON lines carry canonical events: no probe map needed' } };
  }
  const user = opts.probeMap;
  if (user) return { map: user, choice: { name: user.name, source: user.source, chosenBy: 'user', reason: 'given by the user', ...eraOf(user) } };
  const samples = new Map<string, string>();
  const hits = sniffProbeNames(head, format === 'bpftrace', samples);
  const sel = selectProbeMap(hits, [...(opts.candidateMaps ?? []), ...builtinProbeMaps()], samples);
  if (!sel) {
    const names = [...hits.keys()].slice(0, 5).join(', ');
    return {
      map: EMPTY_MAP,
      choice: {
        name: 'none', source: 'none', chosenBy: 'none',
        reason: hits.size ? `no built-in map knows the probes seen (${names}${hits.size > 5 ? ', ...' : ''}); pass --probes FILE` : 'no probe lines at the start of the trace',
      },
    };
  }
  return { map: sel.map, choice: { name: sel.map.name, source: sel.map.source, chosenBy: 'auto', reason: sel.reason, ...eraOf(sel.map) } };
}

/** The era the map says it was written for, when it says one. */
function eraOf(map: ProbeMap): { era?: string } {
  return map.era === undefined ? {} : { era: map.era };
}
