/**
 * The global genid read from several CPUs (src/replay/genid-races.ts), on a small two-CPU trace
 * in the Linux 3.0 probe layout, and on the class itself.
 */
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../src/replay/index.ts';
import { GenidRaces } from '../../src/replay/genid-races.ts';
import { builtinProbeMap } from '../../src/trace/index.ts';
import { readText } from '../trace/helpers.ts';

const HEAD = '# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n';
const R = 'ffff88001f881000';
const P = 'ffff88001e410000';

describe('a read two bumps ahead, then the two paths that explain it', () => {
  // Three CPUs, route R to 10.1.0.5 holding P, genid 5. CPU 2 enters frag_needed (reads 5) and
  // bumps to 6; CPU 1 enters frag_needed (reads 6) and bumps to 7; CPU 0's check returns reading
  // 7 before either path returns (3.0 prints frag_needed's entry only with its return). Then the
  // two returns: CPU 1's path (entry 6), CPU 2's (entry 5). A minimal counter-example of the
  // SMP property (3.0.1, stage S3): the value 6 was never printed before CPU 1's entry read of
  // it showed up, and replay took that read for a move back from 7 to 6.
  const body = [
    `smpwl-203 [000]   100.000011: dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=${P} rt_pgenid=5 g=5 dst=500010a gw=100000a flags=0 obsolete=-1`,
    'smpwl-202 [002]   100.000022: frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=5',
    'smpwl-202 [002]   100.000033: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `smpwl-202 [002]   100.000044: getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P}`,
    'smpwl-201 [001]   100.000055: frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=500010a tot_len=9405 new_mtu=578 g=6',
    'smpwl-201 [001]   100.000066: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1',
    `smpwl-201 [001]   100.000077: getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${P}`,
    `smpwl-203 [000]   100.000088: dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P} rt_pgenid=5 g=7 gw=100000a flags=0`,
    'smpwl-201 [001]   100.000099: frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=7',
    'smpwl-202 [002]   100.000110: frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=578 g=7',
  ];
  const text = HEAD + body.map((l) => `       ${l}\n`).join('');

  it('is conformant: the late read is unchecked and each path pays for one move', async () => {
    const read = await readText(text, { probeMap: builtinProbeMap('linux-3.0-seed') });
    const r = replaySync(read.events, { era: 'pmtu-redirect', stage: 'S3' });
    expect(r.divergences.map((d) => `${d.line}: ${d.message}`)).toEqual([]);
    expect(r.verdict).toBe('conformant');
    expect(r.coverage.genidBumps).toBeGreaterThanOrEqual(2);
  });

  it('a third move nothing pays for is still reported', async () => {
    // CPU 0 reads 8: three moves, two paths.
    const three = text.replace('rt_pgenid=5 g=7 gw', 'rt_pgenid=5 g=8 gw').replace(/ret=578 g=7/g, 'ret=578 g=8');
    const read = await readText(three, { probeMap: builtinProbeMap('linux-3.0-seed') });
    const r = replaySync(read.events, { era: 'pmtu-redirect', stage: 'S3' });
    expect(r.verdict).toBe('divergent');
    expect(r.divergences.map((d) => d.invariant)).toContain('genid-steps-by-one-per-bump');
  });
});

describe('GenidRaces.isBehind', () => {
  it('knows every value a jump of a few moves went through', () => {
    const g = new GenidRaces();
    g.noteCpu(0);
    g.noteCpu(1);
    g.moved(5, 7);
    expect(g.isBehind(7, 6)).toBe(true);
    expect(g.isBehind(7, 5)).toBe(true);
    expect(g.isBehind(7, 8)).toBe(false);
    g.moved(0xffffffff, 1); // across the u32 wrap
    expect(g.isBehind(1, 0)).toBe(true);
  });
});
