/**
 * The same events printed by every common printer give the same canonical events, counts and
 * replay verdict. The inputs are real: one boot of the Debian 6.1 cloud kernel on 2 vCPUs (the
 * workload's scenarios split over CPU 0 and CPU 1), its events captured at once by the tracefs
 * `trace` file, `trace_pipe` of a second instance, `trace-cmd extract` (trace.dat) and `perf
 * record` (perf.data), then printed by `trace-cmd report` and `perf script` variants
 * (traces/printers/README.md says how). `trace_pipe` and perf have no workload markers (markers go to the
 * top instance's buffer; perf recorded the kprobe events only): those are compared without them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrace, readTrace, type CanonicalEvent } from '../../src/trace/index.ts';
import { replayFile } from '../../src/replay/files.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { ourTraces } from './helpers.ts';

const dir = join(ourTraces, 'printers');
const base = '6.1.0-57-cloud-amd64.smp2';
const at = (suffix: string) => join(dir, `${base}.${suffix}`);
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  verdict: string; exitCode: number; events: Record<string, number>; markers: number; cpus: number[];
};

/** The traced boot's own symbols, as trace-cmd recorded them in the trace.dat. */
function kallsymsOfTraceDat(): string {
  const out = execFileSync('trace-cmd', ['dump', '--kallsyms', at('trace.dat')], { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const p = join(mkdtempSync(join(tmpdir(), 'peerprop-printers-')), 'kallsyms');
  writeFileSync(p, out.split('\n').filter((l) => /^[0-9a-f]{16} [A-Za-z] /.test(l)).join('\n') + '\n');
  return p;
}

/** An event without where it was read (file, line) and when (timestamps differ per printer and option). */
function canonical(e: CanonicalEvent, keepCpu = true, keepTask = true): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined || k === 'file' || k === 'line' || k === 'ts' || k === 'probe') continue;
    if ((k === 'cpu' && !keepCpu) || (k === 'task' && !keepTask)) continue;
    o[k] = v;
  }
  return JSON.stringify(o);
}

/** markers / cpu / task: whether that printer's output shows them. */
const PRINTERS: { file: string; name: string; markers: boolean; cpu: boolean; task?: false; timestamps?: string }[] = [
  { file: 'trace_pipe.txt', name: 'ftrace trace_pipe (or a trace without its header)', markers: false, cpu: true },
  { file: 'tc-default.txt.gz', name: 'trace-cmd report', markers: true, cpu: true },
  { file: 'tc-t.txt.gz', name: 'trace-cmd report -t', markers: true, cpu: true },
  { file: 'tc-l.txt.gz', name: 'trace-cmd report -l', markers: true, cpu: true },
  { file: 'tc-tsdiff.txt.gz', name: 'trace-cmd report --ts-diff', markers: true, cpu: true },
  { file: 'tc-R.txt.gz', name: 'trace-cmd report -R', markers: true, cpu: true },
  { file: 'perf-default.txt.gz', name: 'perf script', markers: false, cpu: true },
  { file: 'perf-F1.txt.gz', name: 'perf script -F', markers: false, cpu: true },
  { file: 'perf-F2.txt.gz', name: 'perf script -F --ns', markers: false, cpu: true, task: false },
  { file: 'perf-F3.txt.gz', name: 'perf script -F', markers: false, cpu: false, timestamps: 'none' },
  { file: 'perf-rel.txt.gz', name: 'perf script --reltime', markers: false, cpu: true, timestamps: 'relative' },
  { file: 'perf-delta.txt.gz', name: 'perf script --deltatime', markers: false, cpu: true, timestamps: 'delta' },
  { file: 'trace.dat', name: 'trace-cmd report', markers: true, cpu: true },
  { file: 'perf.data', name: 'perf script', markers: false, cpu: true },
];

describe('one workload, every printer: same events, counts and verdict', async () => {
  const symbols = kallsymsOfTraceDat();
  const ref = await readTrace(at('trace.txt'));
  const refEvents = ref.events.filter((e) => e.kind !== 'marker');

  it('the ftrace trace file: the expected counts on both CPUs, s16 obsolete read as -1', () => {
    expect(ref.stats.printer?.name).toBe('ftrace trace file');
    const { marker, ...kinds } = Object.fromEntries(Object.entries(ref.stats.eventsByKind).filter(([, n]) => n > 0));
    expect(kinds).toEqual(expected.events);
    expect(marker).toBe(expected.markers);
    expect([...new Set(ref.events.map((e) => e.cpu))].sort()).toEqual(expected.cpus);
    expect(ref.events.filter((e) => e.obsolete === -1).length).toBeGreaterThan(0);
    expect(ref.events.filter((e) => e.obsolete !== undefined && e.obsolete !== -1 && e.obsolete !== -2).length).toBe(0);
  });

  for (const p of PRINTERS) {
    it(`${p.file}: recognised as ${p.name}; the same canonical events as the trace file`, async () => {
      const { events, stats } = await readTrace(at(p.file), { symbols });
      expect(stats.printer?.name).toBe(p.name);
      if (p.timestamps) expect(stats.printer?.timestamps).toBe(p.timestamps);
      expect(stats.skipped.malformed.count).toBe(0);
      expect(stats.skipped.unknownEvent.count).toBe(0);
      expect(stats.unmatched).toEqual({});
      const mine = events.filter((e) => e.kind !== 'marker');
      expect(mine.map((e) => canonical(e, p.cpu, p.task ?? true))).toEqual(refEvents.map((e) => canonical(e, p.cpu, p.task ?? true)));
      expect(events.filter((e) => e.kind === 'marker').length).toBe(p.markers ? expected.markers : 0);
      // Timestamps that are not the kernel clock are not passed on as if they were.
      if (p.timestamps) expect(events.every((e) => e.ts === undefined)).toBe(true);
      else expect(events.every((e) => typeof e.ts === 'number')).toBe(true);
    });
  }

  for (const p of [{ file: 'trace.txt' }, ...PRINTERS]) {
    it(`${p.file}: replay verdict ${expected.verdict}`, async () => {
      const r = await replayFile(at(p.file), { symbols });
      expect(r.verdict).toBe(expected.verdict);
      expect(r.divergences).toEqual([]);
    });
  }

  it('trace-cmd report --cpu 1: only CPU 1, the events of the trace file on CPU 1', async () => {
    const { events } = await readTrace(at('tc-cpu1.txt.gz'), { symbols });
    expect(new Set(events.map((e) => e.cpu))).toEqual(new Set([1]));
    expect(events.filter((e) => e.kind !== 'marker').map((e) => canonical(e))).toEqual(refEvents.filter((e) => e.cpu === 1).map((e) => canonical(e)));
  });

  it('a trace.dat brings its own symbols: callers resolved without --symbols', async () => {
    const { events, stats } = await readTrace(at('trace.dat'));
    expect(stats.printer?.command).toMatch(/^trace-cmd report /);
    expect(stats.printer?.symbols).toMatch(/kallsyms recorded by trace-cmd/);
    expect(events.filter((e) => e.kind !== 'marker').map((e) => canonical(e))).toEqual(refEvents.map((e) => canonical(e)));
  });

  it('without symbols: one warning, no caller on the events (never a made-up one), the rest as with symbols', async () => {
    const { events, stats } = await readTrace(at('perf-default.txt.gz'));
    expect(stats.warnings.filter((w) => /no kernel symbols/.test(w))).toHaveLength(1);
    expect(events.every((e) => e.caller === undefined)).toBe(true);
    // This map derives nothing from callers: every event is there, the same but for the caller.
    expect(events.map((e) => canonical({ ...e, caller: undefined }))).toEqual(refEvents.map((e) => canonical({ ...e, caller: undefined })));
  });

  it('symbols of another boot (KASLR) are refused, not used to name callers', async () => {
    // The same table shifted by 2 MB: every probed function lands elsewhere.
    const shifted = readFileSync(symbols, 'utf8').split('\n').filter(Boolean)
      .map((l) => `${(BigInt('0x' + l.slice(0, 16)) + 0x200000n).toString(16)}${l.slice(16)}`).join('\n');
    const p = join(mkdtempSync(join(tmpdir(), 'peerprop-printers-')), 'System.map');
    writeFileSync(p, shifted + '\n');
    const { events, stats } = await readTrace(at('tc-default.txt.gz'), { symbols: p });
    expect(stats.warnings.some((w) => /do not match this trace/.test(w))).toBe(true);
    expect(events.every((e) => e.caller === undefined)).toBe(true);
  });
});

describe('binary traces need their tool', () => {
  for (const [file, pkg] of [['trace.dat', 'trace-cmd'], ['perf.data', 'linux-perf']] as const) {
    it(`${file} without its tool on PATH: exit 3 naming the Debian package ${pkg}`, async () => {
      const saved = process.env.PATH;
      process.env.PATH = '/nonexistent';
      try {
        const err = await openTrace(at(file)).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(PeerpropError);
        expect((err as PeerpropError).exitCode).toBe(3);
        expect((err as PeerpropError).message).toContain(`apt-get install ${pkg}`);
      } finally {
        process.env.PATH = saved;
      }
    });
  }

  it('a trace.dat the tool cannot read whole is bad input, not a verdict on its first part', async () => {
    const cut = readFileSync(at('trace.dat')).subarray(0, 880_000);
    const p = join(mkdtempSync(join(tmpdir(), 'peerprop-printers-')), 'cut.dat');
    writeFileSync(p, cut);
    const err = await readTrace(p).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(2);
  });
});
