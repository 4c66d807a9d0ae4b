/**
 * The modern (fnhe) replay: a route that starts with the exception its lookup found carries that
 * exception's PMTU at its first check; an update of the exception in place before that check
 * makes what the route started with unknown (unchecked, never failed), for routes to that
 * destination only. Canonical events written out, two tasks.
 */
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../src/replay/index.ts';
import type { CanonicalEvent } from '../../src/trace/events.ts';

const NET = 'ffffffff82a0e780';
const R1 = 'ffff888003c1a000';
const R2 = 'ffff888003c1a100';
const D1 = '203.0.113.5';
const D2 = '203.0.113.6';
const CHANGED = 'the exception changed before the route was first checked';

let line = 0;
const ev = (kind: CanonicalEvent['kind'], pid: number, f: Partial<CanonicalEvent>): CanonicalEvent => ({ kind, file: 'm', line: ++line, cpu: 0, pid, task: 'wl', net: NET, ...f }) as CanonicalEvent;

/** Two routes, to D1 and D2, each created by a lookup that found a current exception (PMTU 1200 / 1300). */
function created(): CanonicalEvent[] {
  return [
    ev('fnhe', 1, { probe: 'update_or_create_fnhe', daddr: D1, mtu: 1200, fnheGenid: 0, exceptionGenid: 0 }),
    ev('fnhe', 1, { probe: 'update_or_create_fnhe', daddr: D2, mtu: 1300, fnheGenid: 0, exceptionGenid: 0 }),
    // Task 1 shows it has returned: its updates are done (until then they could still be changing the exceptions).
    ev('marker', 1, { text: 'task 1 goes on' }),
    ev('fnhe', 2, { probe: 'find_exception', daddr: D1, mtu: 1200, exceptionGenid: 0 }),
    ev('route', 2, { rt: R1, daddr: D1, rtGenid: 7, genid: 7, obsolete: -1 }),
    ev('fnhe', 2, { probe: 'find_exception', daddr: D2, mtu: 1300, exceptionGenid: 0 }),
    ev('route', 2, { rt: R2, daddr: D2, rtGenid: 7, genid: 7, obsolete: -1 }),
  ];
}
const check = (pid: number, rt: string, mtu: number): CanonicalEvent[] => [
  ev('check', pid, { rt, rtGenid: 7, genid: 7, rtMtu: mtu, obsolete: -1 }),
  ev('check_ret', pid, { rt, ret: rt, rtGenid: 7, genid: 7, obsolete: -1 }),
];
const updateD1 = (): CanonicalEvent => ev('fnhe', 3, { probe: 'update_or_create_fnhe', daddr: D1, mtu: 1100, fnheGenid: 0, exceptionGenid: 0 });

function invariant(events: CanonicalEvent[]) {
  const r = replaySync(events, { era: 'fnhe' });
  const inv = r.coverage.invariants.find((i) => i.name === 'exception-applied-to-new-route')!;
  return { r, inv };
}

describe('fnhe replay: a new route and the exception it started with', () => {
  it('both routes checked with their exception: two passes', () => {
    const { r, inv } = invariant([...created(), ...check(2, R1, 1200), ...check(2, R2, 1300)]);
    expect(r.divergences).toEqual([]);
    expect(inv.checked).toBe(2);
    expect(inv.unchecked[CHANGED]).toBeUndefined();
  });

  it('the D1 exception updated before R1 is checked: R1 unchecked, R2 still checked', () => {
    const { r, inv } = invariant([...created(), updateD1(), ...check(2, R1, 1100), ...check(2, R2, 1300)]);
    expect(r.divergences).toEqual([]);
    expect(inv.unchecked[CHANGED]).toBe(1);
    expect(inv.checked).toBe(1);
  });

  it('an update after the first check changes nothing; a freed route is forgotten', () => {
    const after = invariant([...created(), ...check(2, R1, 1200), updateD1(), ...check(2, R2, 1300)]);
    expect(after.inv.unchecked[CHANGED]).toBeUndefined();
    expect(after.inv.checked).toBe(2);
    const freed = invariant([...created(), ev('route_free', 2, { rt: R1 }), updateD1(), ...check(2, R2, 1300)]);
    expect(freed.inv.unchecked[CHANGED]).toBeUndefined();
    expect(freed.inv.checked).toBe(1);
  });

  it('a wrong PMTU at the first check is a divergence at that line', () => {
    const evs = [...created(), ...check(2, R1, 1500)];
    const { r } = invariant(evs);
    expect(r.divergences.map((d) => [d.invariant, d.line])).toEqual([['exception-applied-to-new-route', evs[evs.length - 2]!.line]]);
  });
});
