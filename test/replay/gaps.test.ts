/**
 * Lost events in the middle of a bump path: the path's entry (or its whole start) is in the hole,
 * its return and bump after it. Nothing there is a divergence: the move is unchecked, never failed.
 */
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../src/replay/index.ts';
import type { CanonicalEvent, TraceGap } from '../../src/trace/events.ts';
import type { InvariantId } from '../../src/core/invariants.ts';

const F = 't.trace';
const ev = (line: number, kind: CanonicalEvent['kind'], f: Partial<CanonicalEvent> = {}): CanonicalEvent => ({ kind, file: F, line, cpu: 0, pid: 25, ...f });
const inv = (r: ReturnType<typeof replaySync>, n: InvariantId) => r.coverage.invariants.find((i) => i.name === n);

describe('a lost-events gap inside a PMTU path', () => {
  const before = [
    ev(1, 'check', { rt: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5, obsolete: -1, daddr: '10.1.0.5' }),
    ev(2, 'check_ret', { rt: '0xffff880000001000', ret: '0xffff880000001000', peer: '0x0', rtGenid: 5, genid: 5 }),
  ];

  it('the path began in the hole: its bump after it is unchecked, not a divergence', () => {
    const gaps: TraceGap[] = [{ file: F, line: 3, count: 4, reason: 'lost' }];
    const events = [...before, ev(4, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' })];
    const r = replaySync(events, { era: 'pmtu-redirect', gaps });
    expect(r.divergences).toEqual([]);
    expect(inv(r, 'genid-steps-by-one-per-bump')!.unchecked['the bump path that explains a move may be in lost events']).toBe(1);
  });

  it('the path entry before the hole, its bump after it: still judged with its cause', () => {
    const gaps: TraceGap[] = [{ file: F, line: 4, count: 2, reason: 'lost' }];
    const events = [
      ...before,
      ev(3, 'pmtu', { daddr: '10.1.0.5', mtu: 1200, genid: 5 }),
      ev(5, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' }),
    ];
    const r = replaySync(events, { era: 'pmtu-redirect', gaps });
    expect(r.divergences).toEqual([]);
  });

  it('without a gap, a bump with no path is still a divergence', () => {
    const r = replaySync([...before, ev(4, 'genid_bump', { old: 5, new: 6, counter: 'peer', probe: 'frag_needed_ret' })], { era: 'pmtu-redirect' });
    expect(r.divergences.map((d) => d.invariant)).toEqual(['genid-steps-by-one-per-bump']);
  });
});
