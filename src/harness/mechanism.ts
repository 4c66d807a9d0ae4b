/**
 * The mechanism half of the verdict: the captured trace read into canonical events (H4's
 * reader, with the probe map of the probes we registered), sliced per scenario by the
 * workload's `STEP <scenario> <substep>` markers, checked for each scenario's evidence
 * (evidence.ts) and replayed through the era's model (src/replay) — divergences are
 * attributed to the scenario whose slice holds their trace line.
 */
import type { CanonicalEvent, EventKind } from '../trace/events.ts';
import type { Era } from '../model/types.ts';
import { openTrace, type ProbeMap, type TraceReadStats } from '../trace/index.ts';
import { checkEvidence, evidenceFor } from './evidence.ts';

export interface Slice {
  scenario: string;
  /** Trace lines [firstLine, lastLine] of the capture file. */
  firstLine: number;
  lastLine: number;
  events: CanonicalEvent[];
}

export interface ReplayDivergence {
  line?: number;
  file?: string;
  message: string;
}

export interface MechanismOutcome {
  status: 'pass' | 'fail' | 'skip';
  /** Why skipped/failed, one line. */
  reason?: string;
  diagnostics: string[];
  events: number;
  byKind: Partial<Record<EventKind, number>>;
}

export interface MechanismReport {
  stats: TraceReadStats;
  totalEvents: number;
  /** 'replayed' when src/replay ran; otherwise why not. */
  replay: { ran: boolean; note: string; divergences: number };
  perScenario: Map<string, MechanismOutcome>;
}

const MARKER = /^STEP (\S+)(?: (.*))?$/;

export function sliceByMarkers(events: CanonicalEvent[]): Slice[] {
  const slices: Slice[] = [];
  let cur: Slice | undefined;
  for (const e of events) {
    if (e.kind === 'marker') {
      const m = MARKER.exec(e.text ?? '');
      if (m && m[1] !== cur?.scenario) {
        cur = { scenario: m[1]!, firstLine: e.line, lastLine: e.line, events: [] };
        slices.push(cur);
      }
    }
    if (cur) {
      cur.events.push(e);
      cur.lastLine = e.line;
    }
  }
  return slices;
}

function countKinds(events: CanonicalEvent[]): Partial<Record<EventKind, number>> {
  const out: Partial<Record<EventKind, number>> = {};
  for (const e of events) if (e.kind !== 'marker') out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}

export async function checkMechanism(
  captureFile: string,
  opts: { era: Era; scenarios: string[]; probeMap?: ProbeMap; candidateMaps?: ProbeMap[] },
): Promise<MechanismReport> {
  const reader = await openTrace(captureFile, { probeMap: opts.probeMap, candidateMaps: opts.candidateMaps });
  const events: CanonicalEvent[] = [];
  for await (const batch of reader.batches()) for (const e of batch) events.push(e);
  const slices = sliceByMarkers(events);
  const replay = await replayAll(events, opts.era);

  const perScenario = new Map<string, MechanismOutcome>();
  for (const name of opts.scenarios) {
    const slice = slices.find((s) => s.scenario === name);
    if (!slice) {
      perScenario.set(name, { status: 'fail', reason: `no STEP ${name} marker in the trace`, diagnostics: [], events: 0, byKind: {} });
      continue;
    }
    const real = slice.events.filter((e) => e.kind !== 'marker');
    const byKind = countKinds(slice.events);
    const diagnostics: string[] = [];
    let status: MechanismOutcome['status'] = 'pass';
    let reason: string | undefined;
    if (real.length === 0) {
      status = 'fail';
      reason = 'no probe event between its STEP markers';
    }
    const ev = evidenceFor(name, opts.era);
    if (ev) {
      const r = checkEvidence(slice.events, ev);
      diagnostics.push(...r.lines.map((l) => `mechanism ${l}`));
      if (!r.ok && status === 'pass') {
        status = 'fail';
        reason = r.lines.find((l) => !l.startsWith('seen'));
      }
    }
    const mine = replay.divergences.filter((d) => d.line !== undefined && d.line >= slice.firstLine && d.line <= nextStart(slices, slice));
    for (const d of mine.slice(0, 5)) diagnostics.push(`replay divergence: ${d.file ? `${d.file}:${d.line}: ` : ''}${d.message}`);
    if (mine.length > 5) diagnostics.push(`replay: ${mine.length - 5} more divergences`);
    if (mine.length > 0 && status === 'pass') {
      status = 'fail';
      reason = `${mine.length} replay divergence(s)`;
    }
    diagnostics.push(`mechanism: ${real.length} events (${Object.entries(byKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`);
    perScenario.set(name, { status, reason, diagnostics, events: real.length, byKind });
  }
  return {
    stats: reader.stats,
    totalEvents: events.filter((e) => e.kind !== 'marker').length,
    replay: { ran: replay.ran, note: replay.note, divergences: replay.divergences.length },
    perScenario,
  };
}

/** Last line that still belongs to `slice` (up to the next scenario's first marker). */
function nextStart(slices: Slice[], slice: Slice): number {
  const i = slices.indexOf(slice);
  const next = slices[i + 1];
  return next ? next.firstLine - 1 : Number.MAX_SAFE_INTEGER;
}

/**
 * Replays every event through the era's model (src/replay, H3). Loaded lazily so that the
 * harness works, and says so, before replay exists or when it cannot load.
 */
async function replayAll(events: CanonicalEvent[], era: Era): Promise<{ ran: boolean; note: string; divergences: ReplayDivergence[] }> {
  let mod: Record<string, unknown>;
  try {
    // A variable specifier: the module may not exist yet in a given checkout.
    const spec = '../replay/index.ts';
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    return { ran: false, note: `replay not available (${(err as Error).message.split('\n')[0]})`, divergences: [] };
  }
  const fn = (mod.replayEvents ?? mod.replay) as ((ev: unknown, o: unknown) => unknown) | undefined;
  if (typeof fn !== 'function') return { ran: false, note: 'replay module has no replay function', divergences: [] };
  const result = (await fn(events, { era })) as { divergences?: unknown[] } | undefined;
  const divergences = (result?.divergences ?? []).map(toDivergence);
  return { ran: true, note: `replayed ${events.length} events through the ${era} model`, divergences };
}

function toDivergence(d: unknown): ReplayDivergence {
  const o = (d ?? {}) as Record<string, unknown>;
  const ev = (o.event ?? {}) as Record<string, unknown>;
  const line = typeof o.line === 'number' ? o.line : typeof ev.line === 'number' ? ev.line : undefined;
  const file = typeof o.file === 'string' ? o.file : typeof ev.file === 'string' ? ev.file : undefined;
  const message = String(o.message ?? o.reason ?? o.invariant ?? JSON.stringify(o));
  return { line, file, message };
}
