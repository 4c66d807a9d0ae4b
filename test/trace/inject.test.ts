/**
 * The fault-injection helper (test/helpers/inject.ts) does what it says: one fault, at the line
 * it reports, in the trace's own format, everything else unchanged; the reader sees the fault.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applicableFaults, injectFault, injectFaultText, type FaultKind } from '../helpers/inject.ts';
import { readTrace } from '../../src/trace/index.ts';
import type { CanonicalEvent } from '../../src/trace/index.ts';
import { ourTraces, plain } from './helpers.ts';

const RUN1 = join(ourTraces, 'linux-3.0.1_run1-s1.ftrace.txt');
const CAPTURE = join(ourTraces, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt');

function diffLines(a: string, b: string): number[] {
  const x = a.split('\n');
  const y = b.split('\n');
  expect(y.length).toBe(x.length);
  return x.map((l, i) => (l === y[i] ? -1 : i + 1)).filter((i) => i > 0);
}

async function eventsOf(path: string): Promise<CanonicalEvent[]> {
  const { events, stats } = await readTrace(path);
  expect(stats.skipped.malformed.count).toBe(0);
  expect(stats.unmatched).toEqual({});
  return events;
}

describe('which faults fit which trace', () => {
  it('seed traces take the seed faults, the 6.1 capture the modern ones', () => {
    expect(applicableFaults(readFileSync(RUN1, 'latin1'))).toEqual([
      'genid-not-restamped', 'lookup-created-peer', 'stale-genid-after-check', 'bump-without-cause', 'valid-after-flush', 'redirect-not-applied',
    ]);
    expect(applicableFaults(readFileSync(CAPTURE, 'latin1'))).toEqual(['valid-after-flush', 'dst-after-exception-kill', 'net-genid-backwards']);
  });

  it('refuses a fault the trace has no place for', () => {
    expect(() => injectFaultText(readFileSync(CAPTURE, 'latin1'), 'genid-not-restamped')).toThrow(/seed-era/);
    expect(() => injectFaultText('', 'lookup-created-peer')).toThrow(/no place/);
  });
});

describe('each fault: one edited line (or a coherent block), at the reported line, readable', () => {
  const seedFaults: FaultKind[] = ['genid-not-restamped', 'lookup-created-peer', 'stale-genid-after-check', 'valid-after-flush'];
  for (const fault of seedFaults) {
    it(`${fault} in run1`, async () => {
      const orig = readFileSync(RUN1, 'latin1');
      const inj = await injectFault(RUN1, fault);
      const text = readFileSync(inj.path, 'latin1');
      expect(text).toBe(inj.text);
      expect(diffLines(orig, text)).toEqual([inj.line]);
      expect(text.split('\n')[inj.line - 1]).toBe(inj.after);
      expect(orig.split('\n')[inj.line - 1]).toBe(inj.before);
      const before = (await eventsOf(RUN1)).map(plain);
      const after = (await eventsOf(inj.path)).map(plain);
      expect(after.length).toBe(before.length);
      const changed = after.filter((e, i) => JSON.stringify({ ...e, file: 0 }) !== JSON.stringify({ ...before[i], file: 0 }));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.every((e) => e.line === inj.line)).toBe(true);
    });
  }

  it('genid-not-restamped: the check returns the route with its old genid', async () => {
    const inj = await injectFault(RUN1, 'genid-not-restamped');
    const ev = (await eventsOf(inj.path)).find((e) => e.line === inj.line && e.kind === 'check_ret')!;
    expect(ev.rtGenid).not.toBe(ev.genid);
    expect(ev.ret).toBe(ev.rt);
    expect(inj.line).toBe(73);
  });

  it('lookup-created-peer: a create=0 bind returns a pointer seen nowhere before', async () => {
    const inj = await injectFault(RUN1, 'lookup-created-peer');
    const events = await eventsOf(inj.path);
    const ev = events.find((e) => e.line === inj.line && e.kind === 'bind_ret')!;
    expect(ev.create).toBe(0);
    expect(ev.peer).not.toBe('0x0');
    expect(events.filter((e) => e.peer === ev.peer).map((e) => e.line)).toEqual([inj.line]);
  });

  it('bump-without-cause: g is one higher from the reported line on, nowhere else', async () => {
    const orig = readFileSync(RUN1, 'latin1');
    const inj = await injectFault(RUN1, 'bump-without-cause', { occurrence: 3 });
    const changed = diffLines(orig, inj.text);
    expect(changed[0]).toBe(inj.line);
    expect(changed.slice(1)).toEqual(inj.alsoEdited);
    const a = await eventsOf(RUN1);
    const b = await eventsOf(inj.path);
    for (let i = 0; i < a.length; i++) {
      if (a[i]!.genid === undefined) continue;
      expect(b[i]!.genid).toBe(a[i]!.line >= inj.line ? a[i]!.genid! + 1 : a[i]!.genid);
    }
    // The bumpers' own old/new keep their step: the only unexplained move is at the reported line.
    const bumps = b.filter((e) => e.kind === 'genid_bump');
    expect(bumps.every((e) => e.new! - e.old! === a.find((x) => x.line === e.line && x.kind === 'genid_bump')!.new! - a.find((x) => x.line === e.line && x.kind === 'genid_bump')!.old!)).toBe(true);
  });

  it('valid-after-flush (3.0.1): a flushed route passes its check', async () => {
    const inj = await injectFault(RUN1, 'valid-after-flush');
    const events = await eventsOf(inj.path);
    const ret = events.find((e) => e.line === inj.line)!;
    expect(ret.kind).toBe('check_ret');
    expect(ret.ret).toBe(ret.rt);
    const check = events.filter((e) => e.kind === 'check' && e.line < inj.line).at(-1)!;
    expect(check.obsolete).toBe(2);
  });

  it('6.1 faults keep CRLF line ends and edit both return probes of one check', async () => {
    const orig = readFileSync(CAPTURE, 'latin1');
    for (const fault of ['valid-after-flush', 'dst-after-exception-kill', 'net-genid-backwards'] as const) {
      const inj = await injectFault(CAPTURE, fault);
      expect(inj.text.split('\r\n').length).toBe(orig.split('\r\n').length);
      expect(diffLines(orig, inj.text)).toEqual([inj.line, ...inj.alsoEdited].sort((a, b) => a - b));
      const events = await eventsOf(inj.path);
      const at = events.filter((e) => e.line === inj.line);
      if (fault === 'net-genid-backwards') {
        expect(at[0]!.kind).toBe('check');
        const prev = events.filter((e) => e.line < inj.line && e.genid !== undefined).at(-1)!;
        expect(at[0]!.genid).toBe(prev.genid! - 1);
      } else {
        const ret = events.find((e) => e.kind === 'check_ret' && e.line === inj.line)!;
        expect(ret.ret).toBe(ret.rt);
        expect(ret.ret).not.toBe('0x0');
      }
    }
  });

  it('occurrence picks another place', async () => {
    const a = injectFaultText(readFileSync(RUN1, 'latin1'), 'genid-not-restamped', 0);
    const b = injectFaultText(readFileSync(RUN1, 'latin1'), 'genid-not-restamped', 2);
    expect(b.line).toBeGreaterThan(a.line);
    expect(a.candidates).toBe(b.candidates);
  });
});
