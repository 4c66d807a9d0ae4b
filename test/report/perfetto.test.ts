/**
 * `replay --format perfetto`: Chrome trace-event JSON (the "JSON Object Format" that
 * ui.perfetto.dev and chrome://tracing open), checked against the format's rules: field names and
 * types, phases, metadata, counters, complete events with durations, and time order.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { injectFault } from '../helpers/inject.ts';
import type { PerfettoTrace, TraceEvent } from '../../src/report/perfetto.ts';

const PHASES = new Set(['X', 'i', 'C', 'M']);

function checkFormat(t: PerfettoTrace): void {
  expect(Array.isArray(t.traceEvents)).toBe(true);
  expect(['ms', 'ns']).toContain(t.displayTimeUnit);
  let lastTs = -Infinity;
  let seenNonMeta = false;
  for (const e of t.traceEvents as TraceEvent[]) {
    expect(typeof e.name).toBe('string');
    expect(PHASES.has(e.ph)).toBe(true);
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(e.ts).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(e.pid)).toBe(true);
    expect(Number.isInteger(e.tid)).toBe(true);
    if (e.ph === 'M') {
      expect(seenNonMeta).toBe(false); // metadata first
      expect(['process_name', 'thread_name', 'process_sort_index']).toContain(e.name);
      expect(e.args).toBeDefined();
      continue;
    }
    seenNonMeta = true;
    expect(e.ts).toBeGreaterThanOrEqual(lastTs); // time order
    lastTs = e.ts;
    if (e.ph === 'X') expect(e.dur).toBeGreaterThanOrEqual(0);
    if (e.ph === 'i') expect(['g', 'p', 't']).toContain(e.s);
    if (e.ph === 'C') for (const v of Object.values(e.args ?? {})) expect(typeof v).toBe('number');
  }
}

describe('replay --format perfetto', () => {
  it('a seed-era trace: genid counter, a track per route with CPU threads, checks as complete events', async () => {
    const run = await runCli(['replay', 'traces/linux-3.0.1_run1-s1.ftrace.txt', '--format', 'perfetto']);
    expect(run.code).toBe(0);
    const t = JSON.parse(run.out) as PerfettoTrace;
    checkFormat(t);
    const names = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => String(e.args?.name));
    expect(names).toContain('genid');
    expect(names.some((n) => n.startsWith('route 0xffff'))).toBe(true);
    const counters = t.traceEvents.filter((e) => e.ph === 'C' && e.name === '__rt_peer_genid');
    expect(counters.length).toBeGreaterThan(1);
    // The counter steps up, never down, through the trace (nothing resets the global genid).
    const values = counters.map((e) => Number(e.args!.value));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(t.traceEvents.some((e) => e.ph === 'X' && e.name.startsWith('check'))).toBe(true);
    expect(t.traceEvents.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CPU 0')).toBe(true);
  });

  it('a modern trace: per-namespace genid counters', async () => {
    const run = await runCli(['replay', 'traces/6.1.0-56-cloud-amd64.pmtu-pmtu_ipv4_exception.trace.txt', '--format', 'perfetto']);
    expect(run.code).toBe(0);
    const t = JSON.parse(run.out) as PerfettoTrace;
    checkFormat(t);
    const counterNames = new Set(t.traceEvents.filter((e) => e.ph === 'C').map((e) => e.name));
    expect(counterNames.size).toBeGreaterThan(1);
  });

  it('a divergence is an instant event at its line, named after the invariant', async () => {
    const fault = await injectFault('traces/linux-3.0.1_run1-s1.ftrace.txt', 'genid-not-restamped');
    const run = await runCli(['replay', fault.path, '--format', 'perfetto']);
    expect(run.code).toBe(1);
    const t = JSON.parse(run.out) as PerfettoTrace;
    checkFormat(t);
    const d = t.traceEvents.filter((e) => e.cat === 'divergence');
    expect(d.length).toBeGreaterThan(0);
    expect(d.some((e) => e.args?.line === fault.line && e.name === 'DIVERGENCE check-restamps')).toBe(true);
    expect(t.otherData.verdicts).toContain('divergent');
  });
});
