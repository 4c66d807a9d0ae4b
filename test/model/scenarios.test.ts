/** The reference scenarios A-H of the mechanism (the kernel behaviours src/model/README.md lists), per profile. */
import { describe, expect, it } from 'vitest';
import { apply, checkInvariants, initialState, liveRoute, ModelUsageError, run, type Era, type ModelState, type Operation } from '../../src/model/index.ts';

function exec(s: ModelState, ops: Operation[]) {
  const { states, results } = run(s, ops);
  for (let i = 0; i < ops.length; i++) expect(checkInvariants(states[i]!, ops[i]!, states[i + 1]!, results[i]!)).toEqual([]);
  return { s: states[states.length - 1]!, results };
}

const D = '10.1.0.5';

describe('scenario A: basic propagation (pmtu-redirect)', () => {
  it('a peerless route learns the PMTU at its first check after the bump, then does no work', () => {
    let { s } = exec(initialState('pmtu-redirect'), [{ op: 'route_new', rt: 0, daddr: D }]);
    expect(liveRoute(s, 0)).toMatchObject({ peer: null, peerGenid: 0, mtu: 1500 });
    ({ s } = exec(s, [{ op: 'pmtu', daddr: D, mtu: 1400 }]));
    expect(s.genid).toBe(1);
    expect(s.peers[D]).toMatchObject({ pmtuLearned: 1400, pmtuExpires: 600 });
    const first = apply(s, { op: 'check', rt: 0 });
    expect(first.result.valid).toBe(true);
    expect(liveRoute(first.state, 0)).toMatchObject({ peer: D, peerGenid: 1, mtu: 1400 });
    expect(first.state.peers[D]!.pmtuOrig).toBe(1500);
    expect(first.result.effects!.filter((e) => e.kind === 'lookup')).toEqual([
      { kind: 'lookup', daddr: D, create: 0, peer: D, created: false, rt: 0, by: 'check' },
    ]);
    const second = apply(first.state, { op: 'check', rt: 0 });
    expect(second.result.effects).toEqual([]);
    expect(liveRoute(second.state, 0)).toEqual(liveRoute(first.state, 0));
  });
});

describe("scenario A': the seed alone", () => {
  it('nothing bumps, so a route never learns of a peer created after it; a route created after sees it', () => {
    const { s } = exec(initialState('seed'), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1400 },
      { op: 'check', rt: 0 },
      { op: 'route_new', rt: 1, daddr: D },
    ]);
    expect(s.genid).toBe(0);
    expect(liveRoute(s, 0)!.peer).toBeNull();
    expect(liveRoute(s, 1)!.peer).toBe(D);
  });
  it('pre-genid has the same blindness and no genid at all', () => {
    const { s } = exec(initialState('pre-genid'), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1400 },
      { op: 'bump' },
      { op: 'check', rt: 0 },
    ]);
    expect(liveRoute(s, 0)).toMatchObject({ peer: null, mtu: 1500 });
    expect(s.genid).toBe(0);
  });
  it('with an explicit bump (what the follow-ups add) the seed route attaches the peer', () => {
    const { s } = exec(initialState('seed'), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'peer_new', daddr: D },
      { op: 'bump' },
      { op: 'check', rt: 0 },
    ]);
    expect(liveRoute(s, 0)).toMatchObject({ peer: D, peerGenid: 1 });
  });
});

describe('scenario B: creation stamping, seed vs 3c0afdca', () => {
  const ops: Operation[] = [{ op: 'bump', times: 5 }, { op: 'route_new', rt: 0, daddr: D }];
  it('seed stamps G even without a peer; the first check is a no-op', () => {
    const { s } = exec(initialState('seed'), ops);
    expect(liveRoute(s, 0)!.peerGenid).toBe(5);
    expect(apply(s, { op: 'check', rt: 0 }).result.effects).toEqual([]);
  });
  it('2.6.39+ keeps 0; the first check does one lookup-only bind, finds nothing and stamps 5', () => {
    const { s } = exec(initialState('pmtu-redirect'), ops);
    expect(liveRoute(s, 0)!.peerGenid).toBe(0);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(c.result.effects).toEqual([
      { kind: 'lookup', daddr: D, create: 0, peer: null, created: false, rt: 0, by: 'check' },
      { kind: 'stamp', rt: 0, genid: 5 },
      { kind: 'stamp', rt: 0, genid: 5 },
    ]);
    expect(liveRoute(c.state, 0)!.peerGenid).toBe(5);
  });
});

describe('scenario C: a bind that loses the cmpxchg', () => {
  it.each(['seed', 'pmtu-redirect'] as Era[])('%s: puts its reference and does not stamp', (era) => {
    const { s } = exec(initialState(era), [{ op: 'peer_new', daddr: D }, { op: 'route_new', rt: 0, daddr: D }, { op: 'bump' }]);
    expect(liveRoute(s, 0)!.peer).toBe(D);
    const refs = s.peers[D]!.refcnt;
    const b = apply(s, { op: 'bind', rt: 0, create: 1 });
    expect(b.result.effects!.some((e) => e.kind === 'stamp')).toBe(false);
    expect(liveRoute(b.state, 0)!.peerGenid).toBe(liveRoute(s, 0)!.peerGenid);
    expect(b.state.peers[D]!.refcnt).toBe(refs);
  });
});

describe('scenario D: expiry of a PMTU shared by two routes', () => {
  it('only the route whose check wins the expiry CAS gets its MTU back; the other keeps 1400', () => {
    let { s } = exec(initialState('pmtu-redirect'), [
      { op: 'route_new', rt: 1, daddr: D },
      { op: 'route_new', rt: 2, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1400 },
      { op: 'check', rt: 1 },
      { op: 'check', rt: 2 },
    ]);
    expect(liveRoute(s, 1)!.mtu).toBe(1400);
    expect(liveRoute(s, 2)!.mtu).toBe(1400);
    ({ s } = exec(s, [{ op: 'tick', ticks: 700 }, { op: 'bump' }, { op: 'check', rt: 1 }, { op: 'check', rt: 2 }, { op: 'bump' }, { op: 'check', rt: 2 }]));
    expect(liveRoute(s, 1)!.mtu).toBe(1500);
    expect(liveRoute(s, 2)!.mtu).toBe(1400);
    expect(s.peers[D]!.pmtuExpires).toBe(0);
  });
  it('an expired PMTU is noticed only at the next check after a bump (run4 of the 3.0.1 traces)', () => {
    let { s } = exec(initialState('pmtu-redirect', { config: { mtuExpires: 2 } }), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1000 },
      { op: 'check', rt: 0 },
      { op: 'tick', ticks: 3 },
      { op: 'check', rt: 0 },
    ]);
    expect(liveRoute(s, 0)!.mtu).toBe(1000);
    ({ s } = exec(s, [{ op: 'pmtu', daddr: '10.2.0.31', mtu: 1300 }, { op: 'check', rt: 0 }]));
    expect(liveRoute(s, 0)!.mtu).toBe(1500);
  });
});

describe('scenario E: redirects', () => {
  it('S3: a redirect to an unresolved gateway fails the check without the final stamp; a new route takes the gateway', () => {
    const init = initialState('pmtu-redirect', { config: { unresolved: ['10.0.0.3'] } });
    const { s } = exec(init, [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'bind', rt: 0, create: 1 },
      { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' },
    ]);
    expect(s.genid).toBe(1);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(c.result.valid).toBe(false);
    expect(liveRoute(c.state, 0)).toMatchObject({ peerGenid: 0, gateway: '10.0.0.1' });
    const n = apply(c.state, { op: 'route_new', rt: 1, daddr: D });
    expect(liveRoute(n.state, 1)).toMatchObject({ gateway: '10.0.0.3', redirected: true });
  });
  it('S3, kernel subtlety: a PEERLESS route is stamped by the inlined bind before the redirect fails, so its next check is a no-op', () => {
    const init = initialState('pmtu-redirect', { config: { unresolved: ['10.0.0.3'] } });
    const { s } = exec(init, [{ op: 'route_new', rt: 0, daddr: D }, { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' }]);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(c.result.valid).toBe(false);
    expect(liveRoute(c.state, 0)).toMatchObject({ peer: D, peerGenid: 1, gateway: '10.0.0.1' });
    const again = apply(c.state, { op: 'check', rt: 0 });
    expect(again.result).toMatchObject({ valid: true, effects: [] });
    expect(liveRoute(again.state, 0)!.gateway).toBe('10.0.0.1');
  });
  it('S3: a resolved redirect is applied at the next check (flags RTCF_REDIRECTED)', () => {
    const { s } = exec(initialState('pmtu-redirect'), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'redirect', daddr: D, gateway: '10.0.0.4', from: '10.0.0.1' },
      { op: 'check', rt: 0 },
    ]);
    expect(liveRoute(s, 0)).toMatchObject({ gateway: '10.0.0.4', redirected: true, peerGenid: 1 });
  });
  it("S3 bumps on every accepted redirect, even an unchanged one; S5 only on change", () => {
    const ops: Operation[] = [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'redirect', daddr: D, gateway: '10.0.0.4', from: '10.0.0.1' },
      { op: 'redirect', daddr: D, gateway: '10.0.0.4', from: '10.0.0.1' },
    ];
    expect(exec(initialState('pmtu-redirect'), ops).s.genid).toBe(2);
    expect(exec(initialState('pmtu-redirect', { stage: 'S5' }), ops).s.genid).toBe(1);
  });
  it("E': S5 applies the redirect at once to the matching cached route and never fails a check", () => {
    const init = initialState('pmtu-redirect', { stage: 'S5', config: { unresolved: ['10.0.0.3'] } });
    const { s } = exec(init, [{ op: 'route_new', rt: 0, daddr: D }, { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' }, { op: 'check', rt: 0 }]);
    expect(liveRoute(s, 0)).toMatchObject({ gateway: '10.0.0.3', redirected: false, peer: D });
  });
  it('S5 ignores a stranger\'s redirect; S3 stores it (the kernel does not compare the sender)', () => {
    const ops: Operation[] = [{ op: 'route_new', rt: 0, daddr: D }, { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.9' }];
    expect(exec(initialState('pmtu-redirect', { stage: 'S5' }), ops).s.genid).toBe(0);
    expect(exec(initialState('pmtu-redirect'), ops).s.peers[D]!.redirectLearned).toBe('10.0.0.3');
  });
});

describe('scenario F: flush', () => {
  it.each(['seed', 'pmtu-redirect', 'pre-genid', 'fnhe'] as Era[])('%s: every route fails its next check; the peer genid does not move', (era) => {
    const { s } = exec(initialState(era), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1200 }, { op: 'check', rt: 0 }, { op: 'flush' }]);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(c.result.valid).toBe(false);
    expect(c.state.genid).toBe(s.genid);
  });
  it('pmtu-redirect: a new route after the flush takes the existing peer and keeps what was learned', () => {
    const { s } = exec(initialState('pmtu-redirect'), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1200 }, { op: 'flush' }, { op: 'route_new', rt: 1, daddr: D }]);
    expect(liveRoute(s, 1)).toMatchObject({ peer: D, peerGenid: 1, mtu: 1200 });
  });
  it('S5: the flush swaps the peer tree: new routes get a fresh peer, old routes keep theirs', () => {
    const { s } = exec(initialState('pmtu-redirect', { stage: 'S5' }), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1200 },
      { op: 'check', rt: 0 },
      { op: 'flush' },
      { op: 'peer_new', daddr: D },
      { op: 'route_new', rt: 1, daddr: D },
    ]);
    expect(liveRoute(s, 1)!.mtu).toBe(1500);
    expect(liveRoute(s, 0)!.peer).not.toBe(liveRoute(s, 1)!.peer);
  });
});

describe('scenario G: the genid near its 32-bit wrap', () => {
  it('wraps 0xffffffff -> 0 -> 1 and a stale route still re-validates', () => {
    const { s } = exec(initialState('pmtu-redirect', { genid: 0xfffffffe }), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1400 },
      { op: 'pmtu', daddr: D, mtu: 1300 },
      { op: 'pmtu', daddr: D, mtu: 1200 },
    ]);
    expect(s.genid).toBe(1);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(liveRoute(c.state, 0)).toMatchObject({ peer: D, peerGenid: 1, mtu: 1200 });
  });
  it('kernel corner (2.6.39+): a peerless route keeps rt_peer_genid 0, so a wrap that lands G exactly on 0 hides the new peer', () => {
    const { s } = exec(initialState('pmtu-redirect', { genid: 0xfffffffe }), [
      { op: 'route_new', rt: 0, daddr: D },
      { op: 'pmtu', daddr: D, mtu: 1400 },
      { op: 'pmtu', daddr: D, mtu: 1300 },
    ]);
    expect(s.genid).toBe(0);
    const c = apply(s, { op: 'check', rt: 0 });
    expect(liveRoute(c.state, 0)).toMatchObject({ peer: null, peerGenid: 0, mtu: 1500 });
    expect(checkInvariants(s, { op: 'check', rt: 0 }, c.state, c.result).map((v) => v.invariant)).toEqual(['peer-reaches-peerless-route']);
  });
  it('ABA: exactly 2^32 bumps make a stale route look current, and the invariant says so', () => {
    let s = initialState('pmtu-redirect', { genid: 7 });
    s = apply(s, { op: 'route_new', rt: 0, daddr: D }).state;
    s = apply(s, { op: 'check', rt: 0 }).state; // stamps 7
    s = apply(s, { op: 'peer_new', daddr: D }).state;
    s = apply(s, { op: 'bump', times: 2 ** 32 - 1 }).state;
    s = apply(s, { op: 'bump' }).state;
    expect(s.genid).toBe(7);
    const before = s;
    const c = apply(before, { op: 'check', rt: 0 });
    expect(c.result.effects).toEqual([]);
    expect(liveRoute(c.state, 0)!.peer).toBeNull();
    const v = checkInvariants(before, { op: 'check', rt: 0 }, c.state, c.result);
    expect(v.map((x) => x.invariant)).toEqual(['peer-reaches-peerless-route']);
  });
  it('one bump short of 2^32 is still seen', () => {
    let s = initialState('seed', { genid: 7 });
    s = apply(s, { op: 'route_new', rt: 0, daddr: D }).state;
    s = apply(s, { op: 'peer_new', daddr: D }).state;
    s = apply(s, { op: 'bump', times: 2 ** 32 - 1 }).state;
    expect(s.genid).toBe(6);
    expect(liveRoute(apply(s, { op: 'check', rt: 0 }).state, 0)!.peer).toBe(D);
  });
});

describe('scenario H: modern next-hop exceptions', () => {
  const init = () => initialState('fnhe', { netGenid: 7 });
  it('a new exception kills the next hop cached routes; the re-lookup binds it', () => {
    let { s } = exec(init(), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'route_new', rt: 1, daddr: '10.9.2.2' }, { op: 'pmtu', daddr: D, mtu: 1200 }]);
    expect(liveRoute(s, 0)!.obsolete).toBe(-2);
    expect(liveRoute(s, 1)!.obsolete).toBe(-2);
    expect(apply(s, { op: 'check', rt: 1 }).result.valid).toBe(false);
    ({ s } = exec(s, [{ op: 'route_new', rt: 2, daddr: D }]));
    expect(liveRoute(s, 2)).toMatchObject({ mtu: 1200, cachedIn: 'exception', rtGenid: 7, obsolete: -1 });
    // an update of the existing exception refreshes its route in place, kills nothing
    ({ s } = exec(s, [{ op: 'route_new', rt: 3, daddr: '10.9.3.3' }, { op: 'pmtu', daddr: D, mtu: 1000 }]));
    expect(liveRoute(s, 2)).toMatchObject({ mtu: 1000, obsolete: -1 });
    expect(liveRoute(s, 3)!.obsolete).toBe(-1);
  });
  it('a PMTU above the current one is ignored; below min_pmtu it is clamped and locked', () => {
    const { s } = exec(init(), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1000 }, { op: 'pmtu', daddr: D, mtu: 1300 }, { op: 'pmtu', daddr: '10.9.3.3', mtu: 400 }]);
    expect(s.exceptions[D]!.pmtu).toBe(1000);
    expect(s.exceptions['10.9.3.3']).toMatchObject({ pmtu: 552, locked: true });
  });
  it("a stranger's redirect is ignored; the gateway's is learned", () => {
    let { s } = exec(init(), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.9' }]);
    expect(s.exceptions).toEqual({});
    ({ s } = exec(s, [{ op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' }, { op: 'route_new', rt: 1, daddr: D }]));
    expect(liveRoute(s, 1)).toMatchObject({ gateway: '10.0.0.3', redirected: true });
  });
  it('the /proc flush expires every route and resets the exception when a new route binds it', () => {
    const { s } = exec(init(), [{ op: 'route_new', rt: 0, daddr: D }, { op: 'pmtu', daddr: D, mtu: 1200 }, { op: 'route_new', rt: 1, daddr: D }, { op: 'flush' }]);
    expect(s).toMatchObject({ netGenid: 8, fnheGenid: 1 });
    expect(apply(s, { op: 'check', rt: 1 }).result.valid).toBe(false);
    const n = apply(s, { op: 'route_new', rt: 2, daddr: D });
    expect(liveRoute(n.state, 2)!.mtu).toBe(1500);
    expect(n.state.exceptions[D]).toMatchObject({ pmtu: 0, genid: 1 });
    expect(liveRoute(n.state, 1)!.obsolete).toBe(2);
  });
});

describe('route lifetime and usage errors', () => {
  it('route_free puts the peer reference; the id can be reused by a new route', () => {
    let { s } = exec(initialState('pmtu-redirect'), [{ op: 'peer_new', daddr: D }, { op: 'route_new', rt: 0, daddr: D }]);
    const held = s.peers[D]!.refcnt;
    ({ s } = exec(s, [{ op: 'route_free', rt: 0 }]));
    expect(s.peers[D]!.refcnt).toBe(held - 1);
    expect(() => apply(s, { op: 'check', rt: 0 })).toThrow(ModelUsageError);
    ({ s } = exec(s, [{ op: 'route_new', rt: 0, daddr: '10.2.0.7' }]));
    expect(liveRoute(s, 0)).toMatchObject({ daddr: '10.2.0.7', peer: null, freed: false });
  });
  it('an operation on a route that never existed is a harness error, in every era', () => {
    for (const era of ['pre-genid', 'seed', 'pmtu-redirect', 'fnhe'] as Era[]) {
      expect(() => apply(initialState(era), { op: 'bind', rt: 9, create: 0 })).toThrow(/route 9 does not exist/);
    }
  });
});

describe('check_peer_pmtu with nothing learned: 2.6.39 tests pmtu_expires at its call sites, 3.0+ inside', () => {
  // A peer exists but learned no PMTU; the route is created with it, then a redirect moves the
  // genid and the route is checked. 2.6.39's rt_init_metrics and ipv4_dst_check call
  // check_peer_pmtu only `if (peer->pmtu_expires)`: its probe never fires.
  const ops: Operation[] = [
    { op: 'peer_new', daddr: D },
    { op: 'route_new', rt: 0, daddr: D },
    { op: 'redirect', daddr: D, gateway: '10.0.0.3', from: '10.0.0.1' },
    { op: 'check', rt: 0 },
  ];
  const pmtuCalls = (stage: 'S2' | 'S3' | 'S4' | 'S5') =>
    run(initialState('pmtu-redirect', { stage }), ops).results.map((r) => (r.effects ?? []).filter((e) => e.kind === 'peer_pmtu').length);
  it('S2: not called', () => expect(pmtuCalls('S2')).toEqual([0, 0, 0, 0]));
  it.each(['S3', 'S4', 'S5'] as const)('%s: called, returns at once', (stage) => expect(pmtuCalls(stage)).toEqual([0, 1, 0, 1]));
});
