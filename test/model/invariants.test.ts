/** Each invariant is not vacuous: a hand-made bad transition of its era makes it speak. */
import { describe, expect, it } from 'vitest';
import { apply, checkInvariants, initialState, INVARIANTS, invariantsFor, liveRoute, type ModelState, type Operation, type OpResult } from '../../src/model/index.ts';
import type { ModelInvariantId } from '../../src/core/invariants.ts';

const D = '10.1.0.5';
/** The real transition, then a corruption of its result: the named invariant must report it. */
function corrupted(s: ModelState, op: Operation, corrupt: (after: ModelState, res: OpResult) => void): ModelInvariantId[] {
  const { state, result } = apply(s, op);
  corrupt(state, result);
  return checkInvariants(s, op, state, result).map((v) => v.invariant);
}
const with_ = (era: ModelState['era'], ops: Operation[], opts = {}) => ops.reduce((s, op) => apply(s, op).state, initialState(era, opts));

describe('invariants', () => {
  it('every invariant is documented and bound to at least one era', () => {
    for (const i of INVARIANTS) {
      expect(i.description.length, i.name).toBeGreaterThan(20);
      expect(i.eras.length, i.name).toBeGreaterThan(0);
    }
    expect(invariantsFor('seed').map((i) => i.name)).toContain('check-restamps');
    expect(invariantsFor('fnhe').map((i) => i.name)).toContain('check-fails-iff-stale');
  });

  const stale = with_('pmtu-redirect', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1400 }]);
  const cases: [ModelInvariantId, ModelState, Operation, (a: ModelState, r: OpResult) => void][] = [
    ['check-restamps', stale, { op: 'check', rt: 0 }, (a) => void (liveRoute(a, 0)!.peerGenid = 0)],
    ['slow-path-attaches-existing-peer', stale, { op: 'check', rt: 0 }, (a) => void (liveRoute(a, 0)!.peer = null)],
    ['lookup-only-never-creates-peer', stale, { op: 'check', rt: 0 }, (a) => void (a.peers['10.9.9.9'] = { ...a.peers[D]!, daddr: '10.9.9.9' })],
    ['bind-never-replaces-peer', with_('seed', [{ op: 'peer_new', daddr: D }, { op: 'route_new', rt: 0, daddr: D }, { op: 'peer_new', daddr: '10.2.0.7' }]), { op: 'bind', rt: 0, create: 1 }, (a) => void (liveRoute(a, 0)!.peer = '10.2.0.7')],
    ['genid-steps-by-one-per-bump', stale, { op: 'check', rt: 0 }, (a) => void (a.genid += 1)],
    ['flush-keeps-peer-genid', stale, { op: 'flush' }, (a) => void (a.genid += 1)],
    ['flush-expires-every-route', stale, { op: 'flush' }, (a) => void (liveRoute(a, 0)!.rtGenid = a.netGenid)],
    ['expired-route-fails-untouched', with_('pmtu-redirect', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'flush' }]), { op: 'check', rt: 0 }, (_a, r) => void (r.valid = true)],
    ['current-check-is-noop', with_('seed', [{ op: 'route_new', rt: 0, daddr: D }]), { op: 'check', rt: 0 }, (a) => void (liveRoute(a, 0)!.mtu = 1000)],
    ['route-mtu-only-lowers', stale, { op: 'tick', ticks: 1 }, (a) => void (liveRoute(a, 0)!.mtu = 9000)],
    ['update-pmtu-prestamps-route', with_('pmtu-redirect', [{ op: 'route_new', rt: 0, daddr: D }]), { op: 'pmtu', rt: 0, daddr: D, mtu: 1400 }, (a) => void (liveRoute(a, 0)!.peerGenid = 0)],
    ['check-applies-learned-pmtu', stale, { op: 'check', rt: 0 }, (a) => void (liveRoute(a, 0)!.mtu = 1500)],
    ['check-saves-pmtu-orig', stale, { op: 'check', rt: 0 }, (a) => void (a.peers[D]!.pmtuOrig = 0)],
    ['check-applies-learned-redirect', with_('pmtu-redirect', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' }]), { op: 'check', rt: 0 }, (a) => void (liveRoute(a, 0)!.gateway = '10.0.0.1')],
    ['peer-holds-learned-pmtu', initialState('pmtu-redirect'), { op: 'pmtu', daddr: D, mtu: 1400 }, (a) => void (a.peers[D]!.pmtuLearned = 1500)],
    ['new-peer-is-blank', initialState('pmtu-redirect'), { op: 'peer_new', daddr: D }, (a) => void (a.peers[D]!.pmtuOrig = 1500)],
    ['update-pmtu-runs-check-peer-pmtu', with_('pmtu-redirect', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1200 }]), { op: 'pmtu', rt: 0, daddr: D, mtu: 1200 }, (_a, r) => void (r.effects = (r.effects ?? []).filter((e) => e.kind !== 'peer_pmtu'))],
    ['learned-pmtu-marked-valid', initialState('pmtu-redirect'), { op: 'pmtu', daddr: D, mtu: 1400 }, (a) => void (a.peers[D]!.pmtuExpires = 0)],
    ['check-fails-iff-stale', with_('fnhe', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1200 }]), { op: 'check', rt: 0 }, (_a, r) => void (r.valid = true)],
    ['new-exception-kills-nexthop-routes', with_('fnhe', [{ op: 'route_new', rt: 0, daddr: D }]), { op: 'pmtu', daddr: D, mtu: 1200 }, (a) => void (liveRoute(a, 0)!.obsolete = -1)],
    ['stranger-redirect-ignored', with_('fnhe', [{ op: 'route_new', rt: 0, daddr: D }]), { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.9' }, (a) => void (liveRoute(a, 0)!.gateway = '10.0.0.3')],
    ['pmtu-never-raises-its-path', with_('fnhe', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1000 }]), { op: 'pmtu', daddr: D, mtu: 900 }, (_a, r) => void (r.effects = [{ kind: 'exception', daddr: D, created: false, pmtu: 1400, gateway: '' }])],
    ['stale-exception-not-applied', with_('fnhe', [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1000 }, { op: 'flush' }]), { op: 'route_new', rt: 1, daddr: D }, (a) => void (liveRoute(a, 1)!.mtu = 1000)],
  ];
  it.each(cases)('%s reports a corrupted transition', (name, s, op, corrupt) => {
    expect(checkInvariants(s, op, apply(s, op).state, apply(s, op).result)).toEqual([]);
    expect(corrupted(s, op, corrupt)).toContain(name);
  });
  it('covers every invariant', () => {
    const named = new Set(cases.map((c) => c[0]));
    expect(INVARIANTS.map((i) => i.name).filter((n) => !named.has(n))).toEqual(['peer-reaches-peerless-route']); // tested by the ABA scenario
  });
});
