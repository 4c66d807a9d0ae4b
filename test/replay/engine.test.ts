/** replay() on hand-made event lists: each prediction, partial observation, gaps, pointer reuse, verdicts. */
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../src/trace/events.ts';
import { exitCodeFor, replay, replaySync, type ReplayOptions } from '../../src/replay/index.ts';
import type { InvariantId } from '../../src/core/invariants.ts';

type Fields = Omit<CanonicalEvent, 'file' | 'line'>;
/** Events with consecutive line numbers from 1. */
function trace(...evs: Fields[]): CanonicalEvent[] {
  return evs.map((e, i) => ({ file: 't.txt', line: i + 1, ...e }) as CanonicalEvent);
}
const R = '0xffff88001f881a00';
const P = '0xffff88001e400540';
const D = '10.1.0.5';
/** 3.0.1 (S3) unless a test says otherwise: the strictest stage for these hand-written histories. */
const run = (evs: CanonicalEvent[], o: ReplayOptions = { era: 'pmtu-redirect', stage: 'S3' }) => replaySync(evs, o);
const inv = (r: ReturnType<typeof run>, name: InvariantId) => r.coverage.invariants.find((i) => i.name === name);

describe('cache eras: the check', () => {
  const slowPath: Fields[] = [
    { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 0 },
    { kind: 'check_ret', rt: R, ret: R, peer: '0x0', rtGenid: 0, genid: 0 },
    { kind: 'pmtu', daddr: D, mtu: 1200, genid: 0 },
    { kind: 'peer_new', daddr: D, create: 1, peer: P, caller: 'ip_rt_frag_needed+0x2f' },
    { kind: 'genid_bump', old: 0, new: 1, counter: 'peer' },
    { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
    { kind: 'bind', rt: R, daddr: D, create: 0 },
    { kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: P, caller: 'ipv4_dst_check+0x11d' },
    { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
  ];

  it('accepts scenario A (stale peerless route: one lookup-only bind, attach, re-stamp)', () => {
    const r = run(trace(...slowPath));
    expect(r.divergences).toEqual([]);
    expect(r.verdict).toBe('conformant');
    for (const n of ['check-restamps', 'slow-path-looks-up-peer', 'slow-path-attaches-existing-peer', 'check-bind-is-lookup-only', 'genid-steps-by-one-per-bump'] satisfies InvariantId[]) {
      expect(inv(r, n)!.checked, n).toBeGreaterThan(0);
    }
    expect(r.coverage.genidBumps).toBe(1);
  });

  it('flags a check that returns with a stale genid, at the return, with the route history', () => {
    const evs = trace(...slowPath.slice(0, -1), { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 0, genid: 1 });
    const r = run(evs);
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[9, 'check-restamps']]);
    expect(r.divergences[0]!.history.map((h) => h.line)).toEqual([1, 2, 6, 7, 8]);
    expect(exitCodeFor([r])).toBe(1);
  });

  it('flags a lookup-only bind with create=1 and one producing a peer where a lookup showed none', () => {
    const evs = trace(
      { kind: 'bind', daddr: D, create: 0 },
      { kind: 'bind_ret', daddr: D, create: 0, peer: '0x0', caller: 'rt_set_nexthop+0x5f' },
      { kind: 'route', daddr: D, create: 0, peer: '0x0' },
      { kind: 'redirect', daddr: '10.9.9.9', gateway: '10.0.0.3', oldGateway: '10.0.0.1', genid: 0 },
      { kind: 'genid_bump', old: 0, new: 1, counter: 'peer' },
      { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
      { kind: 'bind', rt: R, daddr: D, create: 1 },
      { kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: P, caller: 'ipv4_dst_check+0x11d' },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
    );
    const r = run(evs);
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([
      [7, 'check-bind-is-lookup-only'],
      [8, 'lookup-only-never-creates-peer'],
    ]);
  });

  it('flags a current route that looks its peer up, and a check that binds a route that has a peer', () => {
    const evs = trace(
      { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 3, genid: 3 },
      { kind: 'bind', rt: R, daddr: D, create: 0 },
      { kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: '0x0' },
      { kind: 'check_ret', rt: R, ret: R, peer: '0x0', rtGenid: 3, genid: 3 },
    );
    expect(run(evs).divergences.map((d) => d.invariant)).toEqual(['current-check-is-noop']);
  });

  it('a slow path without a lookup is a divergence only if the trace shows lookups at all', () => {
    const noLookup: Fields[] = [
      { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 0 },
      { kind: 'check_ret', rt: R, ret: R, peer: '0x0', rtGenid: 0, genid: 0 },
      { kind: 'pmtu', daddr: D, mtu: 1200, genid: 0 },
      { kind: 'genid_bump', old: 0, new: 1, counter: 'peer' },
      { kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
      { kind: 'check_ret', rt: R, ret: R, peer: '0x0', rtGenid: 1, genid: 1 },
    ];
    const blind = run(trace(...noLookup));
    expect(blind.divergences).toEqual([]);
    expect(inv(blind, 'slow-path-looks-up-peer')!.unchecked).toEqual({ 'the trace has no peer lookup events': 1 });
    const seeing = run(trace({ kind: 'bind_ret', daddr: '10.7.7.7', create: 1, peer: P }, ...noLookup));
    expect(seeing.divergences.map((d) => [d.line, d.invariant])).toEqual([[7, 'slow-path-looks-up-peer']]);
  });

  it('an expired route (obsolete=2) must fail; NULL from a live-looking route is unchecked, not a divergence', () => {
    const ok = run(trace({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: 2 }, { kind: 'check_ret', rt: R, ret: '0x0', peer: '0x0', rtGenid: 0, genid: 0 }));
    expect(ok.divergences).toEqual([]);
    expect(inv(ok, 'expired-route-fails')!.checked).toBe(1);
    const bad = run(trace({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: 2 }, { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 }));
    expect(bad.divergences.map((d) => [d.line, d.invariant])).toEqual([[2, 'expired-route-fails']]);
    const live = run(trace({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: -1 }, { kind: 'check_ret', rt: R, ret: '0x0' }));
    expect(live.divergences).toEqual([]);
    expect(Object.keys(inv(live, 'check-returns-its-route')!.unchecked)).toHaveLength(1);
  });

  it('an observed flush expires the routes seen before it', () => {
    const r = run(trace(
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
      { kind: 'flush', genid: 1 },
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
    ));
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[5, 'expired-route-fails']]);
  });
});

describe('cache eras: the global genid', () => {
  it('flags a move with no bump path, at the first event showing it', () => {
    const r = run(trace(
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 4, genid: 4 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 4, genid: 4 },
      { kind: 'flush', genid: 5 },
    ));
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[3, 'flush-keeps-peer-genid']]);
    expect(r.divergences[0]!.history.map((h) => h.line)).toEqual([1, 2]);
  });
  it('S3 frag_needed bumps exactly once when it got a peer; several bumps are absorbed by one check', () => {
    const twice = run(trace({ kind: 'pmtu', daddr: D, mtu: 1200, genid: 0 }, { kind: 'peer_new', daddr: D, create: 1, peer: P }, { kind: 'genid_bump', old: 0, new: 2, counter: 'peer' }));
    expect(twice.divergences.map((d) => d.invariant)).toEqual(['genid-steps-by-one-per-bump']);
    const absorbed = run(trace(
      { kind: 'pmtu', daddr: D, mtu: 1200, genid: 0 },
      { kind: 'redirect', daddr: D, gateway: '10.0.0.3', oldGateway: '10.0.0.1', genid: 1 },
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 0, genid: 2 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 2, genid: 2 },
    ));
    expect(absorbed.divergences).toEqual([]);
  });
  it('near the wrap: 0xffffffff -> 0 is a step of one', () => {
    const r = run(trace({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 0xffffffff, genid: 0xffffffff }, { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 0xffffffff, genid: 0xffffffff }, { kind: 'pmtu', daddr: D, mtu: 1000, genid: 0xffffffff }, { kind: 'genid_bump', old: 0xffffffff, new: 0, counter: 'peer' }));
    expect(r.divergences).toEqual([]);
  });
  it('the seed has no bumpers: a silent move is a divergence', () => {
    const r = run(trace({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1 }, { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 }, { kind: 'pmtu', daddr: D, mtu: 1000, genid: 1 }, { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 2 }), { era: 'seed' });
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[4, 'genid-steps-by-one-per-bump']]);
  });
});

describe('routes across their lifetime', () => {
  const P2 = '0xffff88001e400f00';
  it('a freed pointer reused by a new route is a new route', () => {
    const base: Fields[] = [
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
    ];
    const reused = run(trace(...base, { kind: 'route_free', rt: R, peer: P, daddr: D }, { kind: 'check', rt: R, daddr: '10.1.0.6', peer: P2, rtGenid: 1, genid: 1 }));
    expect(reused.divergences).toEqual([]);
    expect(reused.coverage.routes).toBe(2);
    const changed = run(trace(...base, { kind: 'check', rt: R, daddr: D, peer: P2, rtGenid: 1, genid: 1 }));
    expect(changed.divergences.map((d) => [d.line, d.invariant])).toEqual([[3, 'bind-never-replaces-peer']]);
  });
  it('lost events make the histories crossing the gap incomplete: unchecked, never passed or failed', () => {
    const evs = trace(
      { kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1 },
      { kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
      { kind: 'marker', text: 'after the gap' },
      { kind: 'check', rt: R, daddr: D, peer: P2, rtGenid: 7, genid: 9 },
    );
    const r = run(evs, { era: 'pmtu-redirect', stage: 'S3', gaps: [{ file: 't.txt', line: 2, count: 120 }] });
    expect(r.divergences).toEqual([]);
    expect(r.coverage.gaps).toBe(1);
    expect(r.coverage.incompleteRoutes).toBe(1);
    expect(inv(r, 'bind-never-replaces-peer')!.unchecked).toEqual({ 'route history crosses lost events': 1 });
    // the same without the gap is two divergences (peer replaced, genid moved without cause)
    expect(run(evs).divergenceCount).toBe(3);
  });
});

describe('verdicts, options, partial observation', () => {
  it('a trace with no relevant event is nothing to check (exit 2), never conformant', async () => {
    const r = await replay(trace({ kind: 'marker', text: 'hello' }));
    expect(r.verdict).toBe('nothing-to-check');
    expect(exitCodeFor([r])).toBe(2);
    expect(exitCodeFor([])).toBe(2);
  });
  it('fields not captured are unknown: checks needing them are unchecked with the reason', () => {
    const r = run(trace({ kind: 'check', rt: R, daddr: D, peer: P }, { kind: 'check_ret', rt: R, ret: R }));
    expect(r.divergences).toEqual([]);
    expect(inv(r, 'check-restamps')!.unchecked).toEqual({ 'genids at the return not observed': 1 });
  });
  it('--max-divergences caps the list, not the count; a duplicate return is ignored', () => {
    const evs: Fields[] = [];
    for (let i = 0; i < 5; i++) evs.push({ kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1, obsolete: 2 }, { kind: 'check_ret', rt: R, ret: R }, { kind: 'check_ret', rt: R, ret: R });
    const r = run(trace(...evs), { era: 'pmtu-redirect', maxDivergences: 2 });
    expect(r.divergenceCount).toBe(5);
    expect(r.divergences).toHaveLength(2);
    expect(r.coverage.ignored['check_ret without its check (duplicate return probe or lost entry)']).toBe(5);
  });
  it('accepts async batches (the reader API) and detects the era with its reason', async () => {
    async function* batches() {
      yield trace({ kind: 'marker', text: 'x' });
      yield trace({ kind: 'check', rt: R, rtGenid: 3, genid: 3, obsolete: -2 }, { kind: 'check_ret', rt: R, ret: '0x0' });
    }
    const r = await replay(batches());
    expect(r.era).toBe('fnhe');
    expect(r.eraReason).toMatch(/KILL/);
    expect(r.verdict).toBe('conformant');
  });
});

describe('fnhe era', () => {
  const N = '0xffffffffb0c099c0';
  const N2 = '0xff2bed9180001000';
  const fn = (evs: CanonicalEvent[]) => run(evs, { era: 'fnhe' });
  it('check verdict: NULL exactly when killed or of an older generation', () => {
    const r = fn(trace(
      { kind: 'route', rt: R, net: N, daddr: D, rtGenid: 7, genid: 7, obsolete: -1 },
      { kind: 'check', rt: R, rtGenid: 7, genid: 7, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: R },
      { kind: 'flush', net: N, genid: 7, fnheGenid: 0, probe: 'rt_cache_flush' },
      { kind: 'check', rt: R, rtGenid: 7, genid: 8, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: R },
      { kind: 'check', rt: R, rtGenid: 7, genid: 8, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: '0x0' },
    ));
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[6, 'check-fails-iff-stale']]);
  });
  it('a new exception made through a next-hop route kills it: its next check must fail', () => {
    const base: Fields[] = [
      { kind: 'route', rt: R, net: N, daddr: D, rtGenid: 7, genid: 7, obsolete: -1 },
      { kind: 'pmtu', rt: R, daddr: D, mtu: 1200, rtGenid: 7, genid: 7, obsolete: -1, rtMtu: 0 },
      { kind: 'fnhe', daddr: D, mtu: 1200, fnheGenid: 0, probe: 'update_or_create_fnhe' },
      { kind: 'check', rt: R, rtGenid: 7, genid: 7, obsolete: -1 },
    ];
    const r = fn(trace(...base, { kind: 'check_ret', rt: R, ret: R }));
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[5, 'new-exception-kills-nexthop-routes']]);
  });
  it('several namespaces; a namespace pointer reused with its genid back at 0 is a new namespace', () => {
    const r = fn(trace(
      { kind: 'route', rt: R, net: N, daddr: D, rtGenid: 7, genid: 7, obsolete: -1 },
      { kind: 'route', rt: '0xffff88001f881b00', net: N2, daddr: D, rtGenid: 40, genid: 40, obsolete: -1 },
      { kind: 'flush', net: N2, genid: 40, probe: 'rt_cache_flush' },
      { kind: 'route', rt: '0xffff88001f881c00', net: N2, daddr: D, rtGenid: 41, genid: 41, obsolete: -1 },
      { kind: 'route', rt: '0xffff88001f881d00', net: N2, daddr: D, rtGenid: 0, genid: 0, obsolete: -1 },
    ));
    expect(r.divergences).toEqual([]);
    expect(r.coverage.namespaces).toBe(2);
    expect(r.coverage.ignored['namespace pointer reused (rt_genid went back)']).toBe(1);
  });
  it('a new route must carry its namespace genid; its genid never changes', () => {
    const r = fn(trace(
      { kind: 'route', rt: R, net: N, daddr: D, rtGenid: 6, genid: 7, obsolete: -1 },
      { kind: 'check', rt: R, rtGenid: 5, genid: 7, obsolete: -1 },
      { kind: 'check_ret', rt: R, ret: '0x0' },
    ));
    expect(r.divergences.map((d) => [d.line, d.invariant])).toEqual([[1, 'new-route-current-genid'], [2, 'route-genid-fixed-at-creation']]);
  });
});
