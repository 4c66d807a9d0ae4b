/**
 * The mechanism half of the verdict: the captured trace read into canonical events (H4's
 * reader, with the probe map of the probes we registered), sliced per scenario by the
 * workload's `STEP <scenario> <substep>` markers, checked for each scenario's evidence
 * (evidence.ts) and replayed through the era's model (src/replay) as one trace — divergences
 * are attributed to the scenario whose slice holds their trace line; a divergence before the
 * first scenario (set-up) fails every scenario, since their state grew from it.
 */
import type { CanonicalEvent, EventKind } from '../trace/events.ts';
import type { Era, Stage } from '../model/types.ts';
import { openTrace, type ProbeMap, type TraceReadStats } from '../trace/index.ts';
import { checkEvidence, evidenceFor } from './evidence.ts';
import { replay } from '../replay/index.ts';

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
  opts: { era: Era; /** pmtu-redirect: the stage of the history (replay's model). */ stage?: Stage; scenarios: string[]; probeMap?: ProbeMap; candidateMaps?: ProbeMap[]; /** File name in reports (default: the path). */ name?: string },
): Promise<MechanismReport> {
  const reader = await openTrace(captureFile, { probeMap: opts.probeMap, candidateMaps: opts.candidateMaps, name: opts.name });
  const events: CanonicalEvent[] = [];
  for await (const batch of reader.batches()) for (const e of batch) events.push(e);
  const slices = sliceByMarkers(events);
  const replayed = await replayAll(events, opts.era, reader.stats.gaps, opts.name ?? captureFile, opts.stage, reader.stats.entryNeverFired);

  // Divergences before the first scenario's marker (set-up, boot) concern every scenario.
  const firstScenario = slices.find((s) => opts.scenarios.includes(s.scenario))?.firstLine ?? Number.MAX_SAFE_INTEGER;
  const early = replayed.divergences.filter((d) => d.line === undefined || d.line < firstScenario);
  const perScenario = new Map<string, MechanismOutcome>();
  const coarse = coarseClock(events);
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
    let inSlice = replayed.divergences.filter((d) => d.line !== undefined && d.line >= slice.firstLine && d.line <= nextStart(slices, slice));
    const cpus = new Set(real.map((e) => e.cpu).filter((c) => c !== undefined));
    if (coarse && cpus.size > 1) {
      // The merged trace orders two CPUs' events by timestamp; ties within a tick come out in an
      // arbitrary order, so a divergence here may be the merge's and not the kernel's: unchecked.
      diagnostics.push(`mechanism: the kernel's trace clock ticks in whole milliseconds (no usable TSC) and this slice has events from ${cpus.size} CPUs: their order within a tick is unknown`);
      if (inSlice.length) {
        diagnostics.push(`replay: ${inSlice.length} divergence(s) not counted: unchecked, they may come from that order (first: ${inSlice[0]!.file ? `${inSlice[0]!.file}:${inSlice[0]!.line}: ` : ''}${inSlice[0]!.message})`);
        if (status === 'pass') {
          status = 'skip';
          reason = 'replay unchecked: events of several CPUs under a millisecond trace clock';
        }
        inSlice = [];
      }
    }
    const mine = [...early, ...inSlice];
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
    replay: { ran: replayed.ran, note: replayed.note, divergences: replayed.divergences.length },
    perScenario,
  };
}

/** Last line that still belongs to `slice` (up to the next scenario's first marker). */
function nextStart(slices: Slice[], slice: Slice): number {
  const i = slices.indexOf(slice);
  const next = slices[i + 1];
  return next ? next.firstLine - 1 : Number.MAX_SAFE_INTEGER;
}

/** Replays every event through the era's model (src/replay, H3's engine). */
async function replayAll(events: CanonicalEvent[], era: Era, gaps: TraceReadStats['gaps'], file: string, stage?: Stage, entryNeverFired?: readonly string[]): Promise<{ ran: boolean; note: string; divergences: ReplayDivergence[] }> {
  const report = await replay(events, { era, gaps, file, entryNeverFired, ...(stage ? { stage } : {}) });
  const checked = report.coverage.invariants.reduce((n, i) => n + i.checked, 0);
  const divergences = report.divergences.map((d) => ({ line: d.line, file: d.file, message: `${d.message} (${d.invariant}: expected ${d.expected}, observed ${d.observed})` }));
  const capped = report.divergenceCount > report.divergences.length ? ` (${report.divergenceCount} in all)` : '';
  return {
    ran: true,
    note: `replay through the ${report.era} model: ${report.verdict}, ${report.divergenceCount} divergence(s)${capped}, ${checked} invariant checks over ${report.coverage.routes} routes`,
    divergences,
  };
}

/**
 * A trace whose timestamps never go below the millisecond: a kernel that could not calibrate its
 * TSC (2.6.3x under TCG without ACPI) stamps events with jiffies, several events share one stamp.
 */
export function coarseClock(events: CanonicalEvent[]): boolean {
  let n = 0;
  for (const e of events) {
    if (e.kind === 'marker' || e.ts === undefined) continue;
    if (Math.round(e.ts * 1e6) % 1000 !== 0) return false;
    n++;
  }
  return n >= 20;
}
