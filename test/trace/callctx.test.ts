/** Call contexts: the pairing key of entries and returns, through the reader and replay. */
import { describe, expect, it } from 'vitest';
import { callKey, describeWhere, irqLevelOfChar, IRQ_HARD, IRQ_NONE, IRQ_SOFT } from '../../src/trace/callctx.ts';
import { builtinProbeMap } from '../../src/trace/index.ts';
import { replaySync, toText } from '../../src/replay/index.ts';
import { readText } from './helpers.ts';
import type { InvariantId } from '../../src/core/invariants.ts';

const map = builtinProbeMap('linux-3.0-seed')!;
const R = 'ffff88001f881000';
const P = 'ffff88001e410000';
const D = '500010a'; // 10.1.0.5
const HDR = '# tracer: nop\n#\n';
let ts = 100;
/** One 3.0-layout line; `flags` adds the latency column (4 characters). */
const line = (task: string, pid: number, cpu: number, body: string, flags?: string) =>
  `${`${task}-${pid}`.padStart(16)} [${String(cpu).padStart(3, '0')}] ${flags ? flags + ' ' : ''}${(ts += 0.00001).toFixed(6)}: ${body}`;

describe('callKey', () => {
  it('pid in task context, CPU for pid 0, CPU and level in an interrupt', () => {
    expect(callKey(412, 1, IRQ_NONE)).toBe(412);
    expect(callKey(412, 0, IRQ_NONE)).toBe(callKey(412, 3, undefined)); // a task migrates
    expect(callKey(0, 0, IRQ_NONE)).not.toBe(callKey(0, 1, IRQ_NONE)); // one idle task per CPU
    expect(callKey(412, 1, IRQ_SOFT)).not.toBe(412); // a softirq is not the task it interrupted
    expect(callKey(412, 1, IRQ_SOFT)).toBe(callKey(77, 1, IRQ_SOFT));
    expect(callKey(412, 1, IRQ_SOFT)).not.toBe(callKey(412, 1, IRQ_HARD));
    expect(callKey(undefined, 2, undefined)).toBe(callKey(0, 2, 0));
  });
  it('reads the flags column', () => {
    expect(['.', 'b', 's', 'h', 'H', 'z'].map((c) => irqLevelOfChar(c.charCodeAt(0)))).toEqual([0, 0, 1, 2, 2, 3]);
    expect(describeWhere({ cpu: 1, pid: 412, irq: IRQ_SOFT })).toBe('cpu 1 pid 412 softirq');
  });
});

describe('pairing through the reader', () => {
  it('a task that migrates mid-check: its return on another CPU closes its own check', async () => {
    const text =
      HDR +
      [
        line('a', 100, 0, `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=1 dst=${D} gw=0 flags=0 obsolete=-1`),
        line('b', 101, 0, `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=0 g=1 dst=${D} gw=0 flags=0 obsolete=-1`),
        line('a', 100, 1, `getpeer: (inet_getpeer+0x0/0x300) daddr=${D} family=2 create=0`),
        line('a', 100, 1, `getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=0`),
        line('a', 100, 1, `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=1 g=1 gw=0 flags=0`),
        line('b', 101, 0, `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=1 g=1 gw=0 flags=0`),
      ].join('\n') +
      '\n';
    const read = await readText(text, { probeMap: map });
    const rets = read.events.filter((e) => e.kind === 'check_ret');
    expect(rets.map((e) => [e.pid, e.cpu, e.rt])).toEqual([
      [100, 1, `0x${R}`],
      [101, 0, `0x${R}`],
    ]);
    const bind = read.events.find((e) => e.kind === 'bind')!;
    expect([bind.pid, bind.rt, bind.line]).toEqual([100, `0x${R}`, 5]);
    // Task b's entry read the route stale; task a stamped it meanwhile: b looked nothing up.
    const r = replaySync(read.events, { era: 'pmtu-redirect' });
    expect(r.divergences).toEqual([]);
    expect(r.verdict).toBe('conformant');
  });

  it('a softirq lookup on the CPU of a task inside a check is not the check\'s bind (flags shown)', async () => {
    const text =
      HDR +
      [
        line('a', 100, 0, `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=0 rt_pgenid=1 g=1 dst=${D} gw=0 flags=0 obsolete=-1`, '....'),
        // An interrupt arrives; its softirq (frag_needed's lookup) prints task a's pid.
        line('a', 100, 0, `getpeer: (inet_getpeer+0x0/0x300) daddr=${D} family=2 create=0`, '..s.'),
        line('a', 100, 0, `getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=${P}`, '..s.'),
        line('a', 100, 0, `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=0 rt_pgenid=1 g=1 gw=0 flags=0`, '....'),
      ].join('\n') +
      '\n';
    const read = await readText(text, { probeMap: map });
    const bind = read.events.find((e) => e.kind === 'bind')!;
    expect(bind.irq).toBe(IRQ_SOFT);
    // No open dst_check in the softirq's context: the bind names no route.
    expect(bind.rt).toBeUndefined();
    const r = replaySync(read.events, { era: 'pmtu-redirect' });
    // Had it been the check's, a current check that looked its peer up would diverge.
    expect(r.divergences.map((d) => d.invariant)).not.toContain<InvariantId>('current-check-is-noop');
  });

  it('divergence histories say where each event ran', async () => {
    const text =
      HDR +
      [
        line('a', 100, 0, `dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${R} peer=${P} rt_pgenid=0 g=1 dst=${D} gw=0 flags=0 obsolete=-1`),
        line('a', 100, 1, `dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${R} peer=${P} rt_pgenid=0 g=1 gw=0 flags=0`),
      ].join('\n') +
      '\n';
    const read = await readText(text, { probeMap: map });
    const r = replaySync(read.events, { era: 'pmtu-redirect' });
    expect(r.divergences.map((d) => d.invariant)).toEqual(['check-restamps']);
    expect(r.divergences[0]!.history[0]).toMatchObject({ cpu: 0, pid: 100 });
    const out = toText(r);
    expect(out).toContain('[cpu 0 pid 100] check');
    expect(out).toContain('[cpu 1 pid 100] check_ret');
  });
});
