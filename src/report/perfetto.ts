/**
 * The Chrome trace-event JSON that ui.perfetto.dev and chrome://tracing open ("JSON Object
 * Format": `{ traceEvents: [...] }`, timestamps in microseconds). What it shows is the timeline
 * replay collected (src/report/timeline.ts), so a large trace gives a bounded file:
 * - process 1 "genid": one counter track per genid (global peer genid, or per namespace);
 * - process 2 "trace": instant events for bumps, flushes, workload markers, lost-event gaps and
 *   divergences that belong to no route;
 * - one process per route / exception / peer lane, one thread per CPU in it: a check drawn from
 *   its entry to its return ("X"), every other event an instant; divergences as instants named
 *   after the invariant.
 * A trace with no timestamps is laid out by line number (1 line = 1 µs), and says so.
 */
import type { ReplayReport } from '../replay/types.ts';
import type { Timeline, TimelineMark } from '../replay/timeline.ts';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M';
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  dur?: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

export interface PerfettoTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string>;
}

const GENID_PID = 1;
const TRACE_PID = 2;
const FIRST_LANE_PID = 10;

export function toPerfetto(reports: readonly ReplayReport[], timelines: readonly Timeline[]): string {
  return JSON.stringify(perfettoTrace(reports, timelines)) + '\n';
}

export function perfettoTrace(reports: readonly ReplayReport[], timelines: readonly Timeline[]): PerfettoTrace {
  const meta: TraceEvent[] = [];
  const events: TraceEvent[] = [];
  let pidBase = FIRST_LANE_PID;
  timelines.forEach((tl, fileIndex) => {
    const report = reports[fileIndex];
    const us = (t: number) => (tl.axis === 'ts' ? Math.round((t - tl.start) * 1e6 * 1000) / 1000 : t - tl.start);
    const gpid = GENID_PID + fileIndex * 1000;
    const tpid = TRACE_PID + fileIndex * 1000;
    const prefix = timelines.length > 1 ? `${tl.file}: ` : '';
    meta.push(processName(gpid, `${prefix}genid`), processName(tpid, `${prefix}trace`));
    for (const p of tl.genid) events.push({ name: p.counter === 'peer' ? '__rt_peer_genid' : `${p.counter.split(' ')[0]}_genid${p.counter.includes(' ') ? ` ${p.counter.split(' ')[1]}` : ''}`, ph: 'C', ts: us(p.t), pid: gpid, tid: 0, args: { value: p.value } });
    const instant = (m: TimelineMark, pid: number, tid: number, cat: string, name = m.kind as string): TraceEvent => ({
      name,
      cat,
      ph: 'i',
      s: 't',
      ts: us(m.t),
      pid,
      tid,
      args: { line: m.line, event: m.text, ...(m.cpu !== undefined ? { cpu: m.cpu } : {}), ...(m.pid !== undefined ? { pid: m.pid } : {}) },
    });
    for (const m of tl.bumps) events.push(instant(m, tpid, 0, 'genid', 'genid bump'));
    for (const m of tl.flushes) events.push(instant(m, tpid, 0, 'flush', 'flush'));
    for (const m of tl.markers) events.push(instant(m, tpid, 1, 'marker', m.text.replace(/^marker\s*/, '').slice(0, 80) || 'marker'));
    for (const g of tl.gaps) events.push({ name: `lost events${g.count !== undefined ? ` (${g.count})` : ''}`, cat: 'gap', ph: 'i', s: 'p', ts: us(g.t), pid: tpid, tid: 0, args: { line: g.line } });
    for (const m of tl.loose) events.push(divergenceEvent(m, tpid, 0, report, us));
    meta.push(threadName(tpid, 0, 'genid, flushes, gaps'), threadName(tpid, 1, 'workload markers'));
    tl.lanes.forEach((lane, i) => {
      const pid = pidBase + i;
      meta.push(processName(pid, `${prefix}${lane.label}${lane.daddr ? ` → ${lane.daddr}` : ''}`));
      meta.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: i } });
      const tids = new Set<number>();
      const open = new Map<number, TimelineMark>();
      for (const m of lane.marks) {
        const tid = m.cpu ?? 0;
        tids.add(tid);
        if (m.divergence !== undefined) events.push(divergenceEvent(m, pid, tid, report, us));
        if (m.kind === 'check') {
          open.set(tid, m);
          continue;
        }
        if (m.kind === 'check_ret') {
          const entry = open.get(tid);
          if (entry) {
            open.delete(tid);
            events.push({
              name: `check → ${m.result === 'null' ? 'NULL' : 'dst'}`,
              cat: 'check',
              ph: 'X',
              ts: us(entry.t),
              dur: Math.max(0, us(m.t) - us(entry.t)),
              pid,
              tid,
              args: { line: entry.line, returnLine: m.line, entry: entry.text, return: m.text },
            });
            continue;
          }
        }
        events.push(instant(m, pid, tid, m.kind));
      }
      for (const m of open.values()) events.push(instant(m, pid, m.cpu ?? 0, 'check', 'check (no return)'));
      for (const tid of tids) meta.push(threadName(pid, tid, `CPU ${tid}`));
    });
    pidBase += tl.lanes.length + 1000;
  });
  // Viewers sort by themselves, but a file in time order is what the format's readers expect.
  events.sort((a, b) => a.ts - b.ts || a.pid - b.pid || a.tid - b.tid);
  const axes = [...new Set(timelines.map((t) => t.axis))];
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: 'ns',
    otherData: {
      producer: 'peerprop replay',
      files: timelines.map((t) => t.file).join(', '),
      timeAxis: axes.includes('line') ? 'trace line numbers (1 line = 1 µs) where the trace has no timestamps' : 'trace timestamps',
      verdicts: reports.map((r) => `${r.file}: ${r.verdict}`).join('; '),
    },
  };
}

function processName(pid: number, name: string): TraceEvent {
  return { name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } };
}

function threadName(pid: number, tid: number, name: string): TraceEvent {
  return { name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } };
}

function divergenceEvent(m: TimelineMark, pid: number, tid: number, report: ReplayReport | undefined, us: (t: number) => number): TraceEvent {
  const d = m.divergence !== undefined ? report?.divergences[m.divergence] : undefined;
  return {
    name: `DIVERGENCE ${d?.invariant ?? ''}`.trim(),
    cat: 'divergence',
    ph: 'i',
    s: 'g',
    ts: us(m.t),
    pid,
    tid,
    args: { line: m.line, event: m.text, ...(d ? { expected: d.expected, observed: d.observed, message: d.message } : {}) },
  };
}
