/**
 * Where the pmtu-redirect stages differ in what a trace can show (src/replay/stage-rules.ts).
 * Each case is a small trace in the Linux 3.0 probe layout (the linux-3.0-seed probe map) that
 * the kernel of one stage prints and the kernel of another cannot: replay under the first stage
 * must find nothing, under the second it must diverge. They were found as minimal
 * counter-examples of the generated-trace properties run at every stage.
 */
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../src/replay/index.ts';
import type { ReplayReport } from '../../src/replay/types.ts';
import type { Stage } from '../../src/model/types.ts';
import { builtinProbeMap } from '../../src/trace/index.ts';
import { readText } from '../trace/helpers.ts';

/** Probe lines (without the task/CPU/time prefix) as the 3.0 probes print them. */
function ftrace(...bodies: string[]): string {
  const head = '# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n';
  return head + bodies.map((b, i) => `          peerwl-25    [000]   ${(1 + i * 0.000013).toFixed(6)}: ${b}\n`).join('');
}

async function replayAt(text: string, stage: Stage): Promise<ReplayReport> {
  const read = await readText(text, { probeMap: builtinProbeMap('linux-3.0-seed') });
  return replaySync(read.events, { era: 'pmtu-redirect', stage });
}
const diverged = (r: ReplayReport) => r.divergences.map((d) => `${d.line}: ${d.invariant}`);
const unchecked = (r: ReplayReport, inv: string) => r.coverage.invariants.find((i) => i.name === inv)?.unchecked ?? {};

// Route R to 10.1.0.5 (500010a) through 10.0.0.1 (100000a); peers P1, P2; 10.1.0.6 is 600010a.
const R = 'ffff88001f881000';
const P1 = 'ffff88001e400000';
const P2 = 'ffff88001e400040';
const PQ = 'ffff88001e400080';

describe('S4/S5: ip_rt_redirect binds the peerless cached routes it redirects (rt_bind_peer stamps them)', () => {
  // R is checked at 1a (peerless, stamped 1a); a frag-needed for another destination learns
  // (1a -> 1b); a redirect from R's gateway makes the S4/S5 walk bind R (create=1: the lookup
  // names ip_rt_redirect, not the route), which stamps 1b, then learns and bumps (1c) and
  // switches R's gateway at once. R's next check shows rt_pgenid 1b with a peer.
  const text = ftrace(
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=1a dst=500010a gw=100000a flags=0 obsolete=-1`,
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
    'getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=0',
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=1a g=1a gw=100000a flags=0`,
    'frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=600010a tot_len=9405 new_mtu=578 g=1a',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=600010a family=2 create=1',
    `getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${PQ}`,
    'frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=1b',
    'redirect: (ip_rt_redirect+0x0/0x1d0) old_gw=100000a daddr=500010a new_gw=300000a saddr=200000a g=1b',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `getpeer_ret: (ip_rt_redirect+0x1a1/0x1d0 <- inet_getpeer) peer=${P1}`,
    'redirect_ret: (icmp_redirect+0xbe/0x140 <- ip_rt_redirect) g=1c',
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=${P1} rt_pgenid=1b g=1c dst=500010a gw=300000a flags=40000 obsolete=-1`,
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P1} rt_pgenid=1c g=1c gw=300000a flags=40000`,
  );

  it.each(['S4', 'S5'] as const)('%s: conformant (the stamp came from the redirect walk)', async (stage) => {
    const r = await replayAt(text, stage);
    expect(diverged(r)).toEqual([]);
    expect(r.verdict).toBe('conformant');
    expect(unchecked(r, 'route-genid-changes-only-by-stamp')).not.toEqual({});
  });

  it('S3: divergent (a 3.0 redirect only looks the peer up, binding no route)', async () => {
    const r = await replayAt(text, 'S3');
    expect(diverged(r)).toEqual(['17: route-genid-changes-only-by-stamp']);
  });
});

describe('S5: a flush swaps the inetpeer tree out, routes keep their old peers', () => {
  // R binds P1; a flush (S5: inetpeer_invalidate_tree); a frag-needed creates P2 in the new
  // tree; R (expired) is destroyed still holding P1; a new route's lookup finds P2.
  const text = ftrace(
    'frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=5',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P1}`,
    'frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=6',
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=6 dst=500010a gw=100000a flags=0 obsolete=-1`,
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
    `getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=${P1}`,
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P1} rt_pgenid=6 g=6 gw=100000a flags=0`,
    'cache_flush: (rt_cache_flush+0x0/0x60) delay=-1 g=6',
    'frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=6',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P2}`,
    'frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=7',
    `dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${R} peer=${P1} dst=500010a`,
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
    `getpeer_ret: (rt_set_nexthop.constprop.0+0x5f/0x1c0 <- inet_getpeer) peer=${P2}`,
  );

  it('S5: conformant (the destroyed route\'s peer is not its destination\'s current one)', async () => {
    const r = await replayAt(text, 'S5');
    expect(diverged(r)).toEqual([]);
    expect(r.verdict).toBe('conformant');
  });

  it('S4: divergent (a peer held by a route stays in the tree: the lookup cannot find another)', async () => {
    const r = await replayAt(text, 'S4');
    expect(diverged(r)).toEqual(['20: lookup-only-never-creates-peer']);
  });
});

describe('S4/S5: a route-cache hit re-validates a route unseen (ipv4_validate_peer outside the check)', () => {
  // R holds P1, checked at 5; a frag-needed learns a lower PMTU (5 -> 6); an output lookup hits
  // R in the cache and ipv4_validate_peer re-stamps it at 6 (no probe fires: R has a peer); R's
  // next check finds it current.
  const lines = (rtg: string) => ftrace(
    'frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=4',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P1}`,
    'frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=5',
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=5 dst=500010a gw=100000a flags=0 obsolete=-1`,
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
    `getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=${P1}`,
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P1} rt_pgenid=5 g=5 gw=100000a flags=0`,
    'frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=4b0 g=5',
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P1}`,
    'frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=4b0 g=6',
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=${P1} rt_pgenid=${rtg} g=6 dst=500010a gw=100000a flags=0 obsolete=-1`,
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P1} rt_pgenid=6 g=6 gw=100000a flags=0`,
  );

  it.each(['S4', 'S5'] as const)('%s: the unseen stamp is unchecked, not a divergence', async (stage) => {
    const r = await replayAt(lines('6'), stage);
    expect(diverged(r)).toEqual([]);
    expect(r.verdict).toBe('conformant');
    expect(Object.keys(unchecked(r, 'route-genid-changes-only-by-stamp')).join()).toMatch(/route-cache hit/);
  });

  it('S3: divergent (3.0 validates peers only in ipv4_dst_check)', async () => {
    expect(diverged(await replayAt(lines('6'), 'S3'))).toEqual(['17: route-genid-changes-only-by-stamp']);
  });

  it('S4: a genid the global one never had is still divergent', async () => {
    expect(diverged(await replayAt(lines('9'), 'S4'))).toContain('17: route-genid-changes-only-by-stamp');
  });
});

describe('3.2+: the check\'s lookup may name ipv4_validate_peer (kept out of line: it has three callers)', () => {
  const text = ftrace(
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=5 dst=500010a gw=100000a flags=0 obsolete=-1`,
    'getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
    'getpeer_ret: (ipv4_validate_peer+0x3e/0x120 <- inet_getpeer) peer=0',
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=5 g=5 gw=100000a flags=0`,
  );

  it.each(['S4', 'S5'] as const)('%s: it is the slow path\'s lookup', async (stage) => {
    const r = await replayAt(text, stage);
    expect(diverged(r)).toEqual([]);
    expect(r.coverage.invariants.find((i) => i.name === 'slow-path-looks-up-peer')!.checked).toBe(1);
  });
});

describe('S4/S5: check_peer_redir puts the gateway back when its neighbour lookup fails', () => {
  // R holds P, whose learned redirect (10.0.0.3) is not R's gateway; R's check runs
  // check_peer_pmtu (its probe shows the learned redirect) and returns R, gateway `gw`.
  const text = (gw: string) => ftrace(
    `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=${P1} rt_pgenid=5 g=6 dst=500010a gw=100000a flags=0 obsolete=-1`,
    `check_pmtu: (check_peer_pmtu+0x0/0x120) dst=${R} peer=${P1} pmtu_learned=0 pmtu_orig=0 pmtu_expires=0 redirect_learned=300000a`,
    `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P1} rt_pgenid=6 g=6 gw=${gw} flags=0`,
  );
  const redirect = (r: ReplayReport) => r.coverage.invariants.find((i) => i.name === 'check-applies-learned-redirect');

  it('S5: kept gateway, valid return: unchecked (IS_ERR from ipv4_neigh_lookup is not observed)', async () => {
    const r = await replayAt(text('100000a'), 'S5');
    expect(diverged(r)).toEqual([]);
    expect(Object.keys(redirect(r)!.unchecked).join()).toMatch(/neighbour lookup fails/);
  });

  it('S5: switched: passes; a third gateway: divergent', async () => {
    expect(redirect(await replayAt(text('300000a'), 'S5'))!.checked).toBe(1);
    expect(diverged(await replayAt(text('400000a'), 'S5'))).toEqual(['7: check-applies-learned-redirect']);
  });

  it('S3: kept gateway with a valid return is divergent (3.0 fails the check instead: NULL)', async () => {
    expect(diverged(await replayAt(text('100000a'), 'S3'))).toEqual(['7: check-applies-learned-redirect']);
  });
});
