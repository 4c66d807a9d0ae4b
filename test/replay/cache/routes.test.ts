/**
 * Route records of the cache-era replay (src/replay/cache/routes.ts): a lookup no route is
 * attributed to (rt_bind_peer inlined, e.g. into __ip_select_ident) binds and stamps its route
 * a moment after its return probe prints. Small two-CPU traces in the Linux 3.0 probe layout.
 */
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../../src/replay/index.ts';
import type { Stage } from '../../../src/model/types.ts';
import type { CanonicalEvent } from '../../../src/trace/events.ts';
import { builtinProbeMap } from '../../../src/trace/index.ts';
import { readText } from '../../trace/helpers.ts';

const HEAD = '# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n';
const R = 'ffff88001f881000';
const R2 = 'ffff88001f881100';
const P = 'ffff88001e410000';

const text = (lines: string[]) => HEAD + lines.map((l, i) => `       ${l.replace('@', (100 + i * 0.000011).toFixed(6))}\n`).join('');

async function replayAt(t: string, stage: Stage = 'S3') {
  const read = await readText(t, { probeMap: builtinProbeMap('linux-3.0-seed') });
  return replaySync(read.events, { era: 'pmtu-redirect', stage });
}

// R (10.1.0.5) checked peerless at 5; a frag-needed creates P and bumps to 6; on CPU 1,
// __ip_select_ident's inlined rt_bind_peer looks P up for R (create=1) ...
const before = [
  `smpwl-200 [000]   @: dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=5 dst=500010a gw=100000a flags=0 obsolete=-1`,
  'smpwl-200 [000]   @: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
  'smpwl-200 [000]   @: getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=0',
  `smpwl-200 [000]   @: dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=5 g=5 gw=100000a flags=0`,
  'smpwl-202 [002]   @: frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=5',
  'smpwl-202 [002]   @: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
  `smpwl-202 [002]   @: getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P}`,
  'smpwl-202 [002]   @: frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=6',
  'smpwl-201 [001]   @: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
  `smpwl-201 [001]   @: getpeer_ret: (__ip_select_ident+0xc3/0x110 <- inet_getpeer) peer=${P}`,
];
// ... CPU 0's check of R: entry read peerless and stale, return bound and current, no lookup.
const check = [
  `smpwl-200 [000]   @: dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=5 g=6 dst=500010a gw=100000a flags=0 obsolete=-1`,
  `smpwl-200 [000]   @: dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P} rt_pgenid=6 g=6 gw=100000a flags=0`,
];
// CPU 1's task moves on (another route's check): its bind was over.
const cpu1MovesOn = [
  `smpwl-201 [001]   @: dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R2} peer=0 rt_pgenid=6 g=6 dst=600010a gw=100000a flags=0 obsolete=-1`,
  `smpwl-201 [001]   @: dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R2} peer=0 rt_pgenid=6 g=6 gw=100000a flags=0`,
];

describe('a check entering while an unattributed bind is finishing on another CPU', () => {
  it.each(['S3', 'S4', 'S5'] as const)('%s: found bound and current: the missing lookup is unchecked, not divergent', async (stage) => {
    const r = await replayAt(text([...before, ...check, ...cpu1MovesOn]), stage);
    expect(r.divergences.map((d) => `${d.line}: ${d.invariant}`)).toEqual([]);
    expect(Object.keys(r.coverage.invariants.find((i) => i.name === 'slow-path-looks-up-peer')!.unchecked)).toContain('another CPU/task checked or bound the route during this check');
  });

  it('once that CPU has moved on, the same check without a lookup is divergent', async () => {
    const r = await replayAt(text([...before, ...cpu1MovesOn, ...check]));
    expect(r.divergences.map((d) => d.invariant)).toContain('slow-path-looks-up-peer');
  });
});

describe('RouteTable: the routes a lookup not tied to a route may stamp', () => {
  const ev = (f: Partial<CanonicalEvent>): CanonicalEvent => ({ kind: 'route', file: 't', line: 1, ...f }) as CanonicalEvent;
  it('are the live routes to its destination, whenever their destination became known; freed and reused pointers drop out', async () => {
    const { RouteTable } = await import('../../../src/replay/cache/routes.ts');
    const { Recorder } = await import('../../../src/replay/coverage.ts');
    const { Overlaps } = await import('../../../src/replay/overlap.ts');
    const t = new RouteTable('pmtu-redirect', new Recorder(10), 6, new Overlaps());
    const a = t.route('a', ev({ daddr: '500010a' }));
    const b = t.route('b', ev({})); // destination not yet shown
    const c = t.route('c', ev({ daddr: '600010a' }));
    t.route('b', ev({ daddr: '500010a' })); // shown later (a check printing dst=)
    t.mayBeStampedFor('500010a', 1);
    expect([a.mayStamp, b.mayStamp, c.mayStamp]).toEqual([true, true, false]);
    a.mayStamp = b.mayStamp = false;
    // a is destroyed; b's pointer is reused by a route to another destination.
    t.onFree(ev({ kind: 'route_free', rt: 'a' }), 'a');
    t.onRoute(ev({ rt: 'b', daddr: '600010a', peer: '0' }), 'b', undefined);
    t.mayBeStampedFor('500010a', 1);
    expect([a.mayStamp, b.mayStamp, t.get('b')!.mayStamp, c.mayStamp]).toEqual([false, false, false, false]);
    t.mayBeStampedFor('600010a', 2);
    expect([t.get('b')!.mayStamp, c.mayStamp]).toEqual([true, true]);
    // Only the peerless ones when the lookup is a redirect walk's.
    c.peer = 'ffff88001e410000';
    c.mayStamp = t.get('b')!.mayStamp = false;
    t.mayBeStampedFor('600010a', 3, true);
    expect([t.get('b')!.mayStamp, c.mayStamp]).toEqual([true, false]);
  });
});
