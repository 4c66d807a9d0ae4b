/**
 * Taking judgements back (src/replay/losses.ts, Recorder.retract): which failures a loss window
 * or a call begun unseen reaches, and that the counts stay consistent. The multi-CPU properties
 * are in lost-events.test.ts, the real traces in real-lost-events.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LOST_EVENTS_MAY_EXPLAIN, Recorder, Ring } from '../../src/replay/coverage.ts';
import { replaySync } from '../../src/replay/index.ts';
import type { CanonicalEvent, TraceGap } from '../../src/trace/events.ts';

const F = 't.trace';
const ev = (line: number, kind: CanonicalEvent['kind'], f: Partial<CanonicalEvent> = {}): CanonicalEvent => ({ kind, file: F, line, cpu: 0, pid: 25, ...f });

/** A recorder with failures judged at these lines (each reported at its own line). */
function failingAt(lines: number[], ring?: Ring): Recorder {
  const rec = new Recorder(100);
  for (const l of lines) {
    rec.now = l;
    rec.callStart = l;
    rec.fail('check-restamps', ev(l, 'check_ret'), 'x', 'y', `failure at ${l}`, ring);
  }
  rec.now = undefined;
  return rec;
}

const inv = (rec: Recorder) => rec.coverage().invariants.find((i) => i.name === 'check-restamps')!;

describe('Recorder.retract', () => {
  it('takes back the failures judged inside the window, and only those, with every count', () => {
    const rec = failingAt([5, 15, 25]);
    expect(rec.retract(10, 20)).toBe(1);
    expect(rec.divergenceCount).toBe(2);
    expect(rec.divergences.map((d) => d.line)).toEqual([5, 25]);
    expect(inv(rec)).toMatchObject({ checked: 2, failed: 2, unchecked: { [LOST_EVENTS_MAY_EXPLAIN]: 1 } });
    // Taken back once.
    expect(rec.retract(10, 20)).toBe(0);
  });

  it('a failure whose cited history reaches into the window is taken back too', () => {
    const ring = new Ring(6);
    ring.push(ev(12, 'route', { rt: '0x1' }));
    const rec = failingAt([30], ring);
    expect(rec.retract(10, 20)).toBe(1);
    expect(rec.divergenceCount).toBe(0);
  });

  it('a failure judged in a call that began in the window is taken back', () => {
    const rec = new Recorder(100);
    rec.now = 30;
    rec.callStart = 14;
    rec.fail('check-restamps', ev(30, 'check_ret'), 'x', 'y', 'm');
    expect(rec.retract(10, 20)).toBe(1);
  });

  it('windows: the failures meeting any of them (their union), counted failures too', () => {
    const rec = failingAt([2, 5, 15, 25]);
    rec.now = 9;
    rec.failCount('check-restamps');
    expect(rec.retractWindows([[10, 20], [0, 3], [8, 12]])).toBe(3);
    expect(rec.divergences.map((d) => d.line)).toEqual([5, 25]);
    expect(rec.divergenceCount).toBe(2);
  });
});

describe('calls seen only by their return', () => {
  // A bump with no path in progress (a divergence at line 3), then the return of a check whose
  // entry the trace does not show, in a context that printed nothing before: a call begun before
  // the capture, in progress until line 5.
  const events = [
    ev(1, 'check', { rt: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5, obsolete: -1, daddr: '10.1.0.5' }),
    ev(2, 'check_ret', { rt: '0xffff880000001000', ret: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5 }),
    ev(3, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' }),
    ev(5, 'check_ret', { pid: 26, probe: 'dst_check_ret', ret: '0xffff880000002000', genid: 6, unpaired: 1 }),
  ];

  it('what was judged before the return is taken back', () => {
    const r = replaySync(events, { era: 'pmtu-redirect', stage: 'S3' });
    expect(r.divergences).toEqual([]);
    expect(r.coverage.invariants.find((i) => i.name === 'genid-steps-by-one-per-bump')!.unchecked[LOST_EVENTS_MAY_EXPLAIN]).toBe(1);
  });

  it('unless that entry probe never fires in the trace (a map whose entry probe is missing)', () => {
    const r = replaySync(events, { era: 'pmtu-redirect', stage: 'S3', entryNeverFired: ['dst_check_ret'] });
    expect(r.divergences.map((d) => d.line)).toEqual([3]);
  });

  it('not when its context printed a call of its own before (an entry missing mid-trace is no loss)', () => {
    const r = replaySync([ev(0.5, 'check', { pid: 26, rt: '0xffff880000002000', peer: '0x0', rtGenid: 5, genid: 5, obsolete: -1 }), ev(0.7, 'check_ret', { pid: 26, rt: '0xffff880000002000', ret: '0xffff880000002000', peer: '0x0', rtGenid: 5, genid: 5 }), ...events], { era: 'pmtu-redirect', stage: 'S3' });
    expect(r.divergences.map((d) => d.line)).toEqual([3]);
  });
});

describe('a loss settles', () => {
  it('a failure judged after the losing CPU printed 16 more events stands', () => {
    const calls = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => [
        ev(from + 2 * i, 'check', { rt: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5, obsolete: -1, daddr: '10.1.0.5' }),
        ev(from + 2 * i + 1, 'check_ret', { rt: '0xffff880000001000', ret: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5 }),
      ]).flat();
    const gaps: TraceGap[] = [{ file: F, line: 10, cpu: 0, count: 3, reason: 'lost' }];
    const bump = (line: number) => ev(line, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' });
    // Right after the gap (its CPU has printed 2 events since): taken back.
    const early = replaySync([...calls(1, 4), ...calls(11, 1), bump(13)], { era: 'pmtu-redirect', stage: 'S3', gaps });
    expect(early.divergences).toEqual([]);
    // After 20 more events of that CPU: a divergence at its line.
    const late = replaySync([...calls(1, 4), ...calls(11, 10), bump(31)], { era: 'pmtu-redirect', stage: 'S3', gaps });
    expect(late.divergences.map((d) => d.line)).toEqual([31]);
  });
});

describe('too many gaps to list', () => {
  it('after the last one listed (more: true) nothing judged stands: later losses are not known', async () => {
    const { MAX_GAPS } = await import('../../src/trace/line-processor.ts');
    const { readText } = await import('../trace/helpers.ts');
    const lines = ['# tracer: nop'];
    for (let i = 0; i < MAX_GAPS + 3; i++) lines.push(`CPU:${i % 2} [LOST 1 EVENTS]`);
    const read = await readText(`${lines.join('\n')}\n`);
    expect(read.stats.gaps).toHaveLength(MAX_GAPS + 1);
    expect(read.stats.gaps.at(-1)).toMatchObject({ more: true, count: undefined });
    expect(read.stats.gaps.slice(0, -1).some((g) => g.more)).toBe(false);
    // A bump with no path, long after the last gap listed: taken back, not a divergence.
    const gaps: TraceGap[] = [{ file: F, line: 3, cpu: 0, count: 1, reason: 'lost', more: true }];
    const checks = Array.from({ length: 40 }, (_, i) => [
      ev(10 + 2 * i, 'check', { rt: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5, obsolete: -1, daddr: '10.1.0.5' }),
      ev(11 + 2 * i, 'check_ret', { rt: '0xffff880000001000', ret: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5 }),
    ]).flat();
    const r = replaySync([...checks, ev(200, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' })], { era: 'pmtu-redirect', stage: 'S3', gaps });
    expect(r.divergences).toEqual([]);
    expect(r.coverage.invariants.find((i) => i.name === 'genid-steps-by-one-per-bump')!.unchecked[LOST_EVENTS_MAY_EXPLAIN]).toBe(1);
  });
});
