/** The derived route-MTU reads (src/probes/metrics.ts) and their decoding in replay (src/replay/pmtu-state.ts). */
import { describe, expect, it } from 'vitest';
import type { KernelTypes } from '../../src/kernel/btf/types.ts';
import { deriveRouteReads } from '../../src/probes/metrics.ts';
import type { ProbeDef, ProbeField } from '../../src/probes/types.ts';
import { expectedPmtuAction, rawMtuMetric, routeMtu } from '../../src/replay/pmtu-state.ts';
import type { CanonicalEvent } from '../../src/trace/events.ts';

const types = (enumerators?: Record<string, number>): KernelTypes => ({
  schema: 3, source: 'test', format: 'btf', members: {}, missingMembers: [], functions: {}, missingFunctions: [], structSizes: {}, enumerators,
});
const word = (): ProbeField => ({ name: 'metrics', expr: '$retval->_metrics', fetch: '+0x28($retval)', fallbackFetch: '+0x28($retval)', type: 'u64', as: 'hex' });

describe('deriveRouteReads', () => {
  it('reads the MTU slot at +K and +(K-1) of the metrics word, K from RTAX_MTU', () => {
    const fields = [word(), { name: 'jiffies', expr: '@jiffies', fetch: '@jiffies', type: 'u32', as: 'int' } as ProbeField];
    const dropped: ProbeDef['dropped'] = [];
    deriveRouteReads(fields, types({ RTAX_MTU: 2 }), dropped, true);
    expect(fields.map((f) => `${f.name}=${f.fetch}:${f.type}`)).toEqual([
      'metrics=+0x28($retval):u64', 'mtu_k=+4(+0x28($retval)):u32', 'mtu_k1=+3(+0x28($retval)):u32', 'jiffies=@jiffies:u64',
    ]);
    expect(dropped).toEqual([]);
  });
  it('another RTAX_MTU value moves the slot; none leaves the reads out with the reason', () => {
    const f1 = [word()];
    deriveRouteReads(f1, types({ RTAX_MTU: 3 }), [], true);
    expect(f1[1]!.fetch).toBe('+8(+0x28($retval))');
    const f2 = [word()];
    const dropped: ProbeDef['dropped'] = [];
    deriveRouteReads(f2, types(), dropped, true);
    expect(f2).toHaveLength(1);
    expect(dropped[0]!.reason).toMatch(/RTAX_MTU/);
  });
});

const ev = (x: Partial<CanonicalEvent>): CanonicalEvent => ({ kind: 'check_ret', file: 't', line: 1, ...x });

describe('route MTU decoding', () => {
  it('picks the read by the read-only bit of the metrics word (values as a live 2.6.39.3 capture shows them)', () => {
    // Read-only fib metrics (low bit set): the +(K-1) read is the right one; raw 0 = device MTU.
    expect(routeMtu(ev({ metrics: '0xffffffff81429b81', mtuMetric: 0, mtuMetricRo: 0, devMtu: 1500 }))).toEqual({ value: 1500 });
    // Written (copy-on-write onto the peer's metrics): the +K read.
    expect(routeMtu(ev({ metrics: '0xffff88001e3e6350', mtuMetric: 1200, mtuMetricRo: 0x4b000, devMtu: 1500 }))).toEqual({ value: 1200 });
    expect(rawMtuMetric(ev({ metrics: '0xffff88001e3e6351', mtuMetric: 0x4b000, mtuMetricRo: 1200 }))).toEqual({ value: 1200 });
    expect(routeMtu(ev({ metrics: '0xffffffff81429b81', mtuMetricRo: 0 }))).toMatchObject({ unknown: expect.stringMatching(/device MTU/) });
    expect(routeMtu(ev({}))).toMatchObject({ unknown: expect.stringMatching(/not observed/) });
  });
  it('check_peer_pmtu rules: apply, at most the learned value, expiry, unreadable jiffies', () => {
    const pp = ev({ kind: 'peer_pmtu', pmtuLearned: 1200, pmtuOrig: 0, pmtuExpires: 5000, now: 1000 });
    expect(expectedPmtuAction(pp, { value: 1500 }, 1500)).toEqual({ kind: 'apply', mtu: 1200, saveOrig: true });
    expect(expectedPmtuAction(pp, { unknown: 'x' }, 1500)).toEqual({ kind: 'atMost', mtu: 1200 });
    expect(expectedPmtuAction({ ...pp, now: 6000 }, { value: 1200 }, 1500)).toEqual({ kind: 'expire', restore: { value: 1500 } });
    expect(expectedPmtuAction({ ...pp, now: 4999 }, { value: 1500 }, 1500).kind).toBe('unknown');
    expect(expectedPmtuAction({ ...pp, now: 0 }, { value: 1500 }, 1500)).toMatchObject({ kind: 'unknown', why: expect.stringMatching(/read as 0/) });
    expect(expectedPmtuAction({ ...pp, pmtuExpires: 0 }, { value: 1500 }, 1500).kind).toBe('none');
  });
});
