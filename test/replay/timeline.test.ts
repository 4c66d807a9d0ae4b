import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_LANE_EVENTS, MAX_LANES, TimelineCollector } from '../../src/replay/timeline.ts';
import type { CanonicalEvent } from '../../src/trace/events.ts';
import type { Divergence } from '../../src/replay/types.ts';

const ev = (i: number, rt: number, kind: CanonicalEvent['kind'] = 'check', extra: Partial<CanonicalEvent> = {}): CanonicalEvent => ({
  kind,
  file: 't',
  line: i + 1,
  ts: i / 1000,
  cpu: i % 2,
  rt: `0xffff8800${rt.toString(16).padStart(8, '0')}`,
  ...extra,
});

describe('TimelineCollector', () => {
  it('stays bounded however many routes and events stream by', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 150 }), (routes, perRoute) => {
        const t = new TimelineCollector('t');
        let i = 0;
        for (let k = 0; k < perRoute; k++) for (let r = 0; r < routes; r++) t.push(ev(i++, r, 'check', { genid: k }));
        const tl = t.finish();
        expect(tl.lanes.length).toBe(Math.min(routes, MAX_LANES));
        for (const l of tl.lanes) expect(l.marks.length).toBeLessThanOrEqual(MAX_LANE_EVENTS);
        expect(tl.lanes.reduce((n, l) => n + l.events, 0) + tl.folded.events).toBe(i);
        expect(tl.events).toBe(i);
        expect(tl.genid.length).toBeLessThanOrEqual(perRoute);
      }),
      { numRuns: 10 },
    );
  });

  it('draws a divergent route first, even one that was folded', () => {
    const t = new TimelineCollector('t');
    let i = 0;
    for (let r = 0; r < MAX_LANES + 10; r++) t.push(ev(i++, r, 'route'));
    const late = ev(i++, MAX_LANES + 5, 'check_ret', { ret: '0x0' });
    t.push(late);
    const d: Divergence = { file: 't', line: late.line, event: late, invariant: 'check-restamps', expected: 'a', observed: 'b', message: 'm', history: [], rt: late.rt };
    const tl = t.finish([d]);
    expect(tl.lanes[0]!.id).toBe(`route:${late.rt}`);
    expect(tl.lanes[0]!.divergences).toEqual([0]);
    expect(tl.lanes[0]!.marks.find((m) => m.line === late.line)?.divergence).toBe(0);
  });

  it('keeps the first and the latest events of a long lane, in order', () => {
    const t = new TimelineCollector('t');
    for (let i = 0; i < 1000; i++) t.push(ev(i, 1));
    const lane = t.finish().lanes[0]!;
    expect(lane.marks.length).toBe(MAX_LANE_EVENTS);
    expect(lane.marks[0]!.line).toBe(1);
    expect(lane.marks[lane.marks.length - 1]!.line).toBe(1000);
    expect(lane.dropped).toBe(1000 - MAX_LANE_EVENTS);
    const lines = lane.marks.map((m) => m.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('lays a trace without timestamps out by line number', () => {
    const t = new TimelineCollector('t');
    t.push({ kind: 'check', file: 't', line: 10, rt: '0x1' });
    t.push({ kind: 'check_ret', file: 't', line: 12, rt: '0x1', ret: '0x1' });
    const tl = t.finish();
    expect(tl.axis).toBe('line');
    expect([tl.start, tl.end]).toEqual([10, 12]);
  });
});
