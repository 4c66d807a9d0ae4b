/** Several CPUs in replay: the race outcomes the kernel has pass only where the trace shows the overlap. */
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../src/trace/events.ts';
import { replaySync } from '../../src/replay/index.ts';

type Fields = Omit<CanonicalEvent, 'file' | 'line'>;
const trace = (...evs: Fields[]) => evs.map((e, i) => ({ file: 't.txt', line: i + 1, ...e }) as CanonicalEvent);
const R = '0xffff88001f881a00';
const P = '0xffff88001e400540';
const D = '10.1.0.5';
const NET = '0xffffffff81c099c0';
const A = { cpu: 0, pid: 100 };
const B = { cpu: 1, pid: 101 };

describe('cache era', () => {
  it('lost cmpxchg: B found no peer, A installed one first; B returns holding A\'s peer', () => {
    const r = replaySync(
      trace(
        { ...A, kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
        { ...B, kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
        { ...B, kind: 'bind', rt: R, daddr: D, create: 0 },
        { ...B, kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: '0x0', caller: 'ipv4_dst_check+0x11d' },
        { ...A, kind: 'peer_new', daddr: D, create: 1, peer: P, caller: '__ip_select_ident+0xc3' },
        { ...A, kind: 'bind', rt: R, daddr: D, create: 0 },
        { ...A, kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: P, caller: 'ipv4_dst_check+0x11d' },
        { ...A, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
        { ...B, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
      ),
      { era: 'pmtu-redirect' },
    );
    expect(r.divergences).toEqual([]);
    expect(r.coverage.invariants.find((i) => i.name === 'slow-path-attaches-existing-peer')!.unchecked).toHaveProperty(["another CPU/task's bind installed its peer first"]);
  });

  it('the same end state with no other call on the route is a divergence', () => {
    const r = replaySync(
      trace(
        { ...B, kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 1 },
        { ...B, kind: 'bind', rt: R, daddr: D, create: 0 },
        { ...B, kind: 'bind_ret', rt: R, daddr: D, create: 0, peer: '0x0', caller: 'ipv4_dst_check+0x11d' },
        { ...B, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
      ),
      { era: 'pmtu-redirect' },
    );
    expect(r.divergences.map((d) => d.invariant)).toEqual(['slow-path-attaches-existing-peer']);
  });

  it("a bind naming its route stamps it after another CPU's check read it (its return shows no genid): no divergence", () => {
    // B's rt_bind_peer (from __ip_select_ident) is open on R; A checks R (current), bumps the
    // genid; B's bind stamps the new genid and returns without printing it; A's next check reads it.
    const evs = (withBind: boolean) =>
      trace(
        ...(withBind ? [{ ...B, kind: 'bind', rt: R, daddr: D, create: 1, peer: '0x0', rtGenid: 0, genid: 0 } as Fields] : []),
        { ...A, kind: 'check', rt: R, daddr: D, peer: '0x0', rtGenid: 0, genid: 0 },
        { ...A, kind: 'check_ret', rt: R, ret: R, peer: '0x0', rtGenid: 0, genid: 0 },
        { ...A, kind: 'genid_bump', old: 0, new: 1, counter: 'peer' },
        ...(withBind ? [{ ...B, kind: 'bind_ret', rt: R, caller: '__ip_select_ident+0x5d', genid: 1 } as Fields] : []),
        { ...A, kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 1, genid: 1 },
        { ...A, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 1 },
      );
    const r = replaySync(evs(true), { era: 'seed' });
    expect(r.divergences).toEqual([]);
    expect(r.coverage.invariants.find((i) => i.name === 'route-genid-changes-only-by-stamp')!.unchecked).toHaveProperty(['an unattributed bind or update_pmtu may have stamped it']);
    // With no bind, the same change is a divergence at A's second check.
    const strict = replaySync(evs(false), { era: 'seed' });
    expect(strict.divergences.map((d) => [d.invariant, d.line])).toContainEqual(['route-genid-changes-only-by-stamp', 4]);
  });

  it('a genid bump on another CPU between the stamp and the return probe', () => {
    const evs = (bumpCtx: { cpu: number; pid: number }) =>
      trace(
        { ...A, kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 0, genid: 1 },
        { ...bumpCtx, kind: 'genid_bump', old: 1, new: 2, counter: 'peer' },
        { ...A, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 1, genid: 2 },
      );
    expect(replaySync(evs(B), { era: 'seed' }).divergences).toEqual([]);
    // Without the bump the stale stamp is a divergence.
    const strict = replaySync(trace({ ...A, kind: 'check', rt: R, daddr: D, peer: P, rtGenid: 0, genid: 1 }, { ...A, kind: 'check_ret', rt: R, ret: R, peer: P, rtGenid: 0, genid: 1 }), { era: 'seed' });
    expect(strict.divergences.map((d) => d.invariant)).toEqual(['check-restamps']);
  });
});

describe('fnhe era', () => {
  const check = (ctx: typeof A): Fields => ({ ...ctx, kind: 'check', rt: R, rtGenid: 5, genid: 5, obsolete: -1 });
  it('a flush on another CPU while a check runs: NULL although the entry read it current', () => {
    const r = replaySync(
      trace(
        { ...A, kind: 'route', rt: R, daddr: D, rtGenid: 5, genid: 5, obsolete: -1, net: NET },
        check(A),
        { ...B, kind: 'flush', genid: 5, net: NET, probe: 'rt_cache_flush' },
        { ...A, kind: 'check_ret', ret: '0x0' },
      ),
      { era: 'fnhe' },
    );
    expect(r.divergences).toEqual([]);
  });
  it('the same NULL with nothing on another CPU is a divergence', () => {
    const r = replaySync(trace({ ...A, kind: 'route', rt: R, daddr: D, rtGenid: 5, genid: 5, obsolete: -1, net: NET }, check(A), { ...A, kind: 'check_ret', ret: '0x0' }), { era: 'fnhe' });
    expect(r.divergences.map((d) => d.invariant)).toEqual(['check-fails-iff-stale']);
  });
});
