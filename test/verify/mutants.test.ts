import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { verify, formatOp, type VerifyReport } from '../../src/verify/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const tree = resolve(repoRoot, 'kernel-fixtures/trees/pre-seed');
const mutantsDir = resolve(repoRoot, 'kernel-fixtures/mutants');

/** Each mutant: the strategy that finds the shortest counterexample, its operations, the differing field. */
const EXPECTED: Record<string, { strategy: string; ops: string[]; field: string; expected: unknown; actual: unknown; cLine?: RegExp; invariant?: string }> = {
  '01-stamp-only-with-peer': { strategy: 'wrap', ops: ['route_new(rt0 -> 10.0.0.1)'], field: 'route 0 rt_peer_genid', expected: '0xffffffff', actual: '0x0', cLine: /else if \(peer\)/ },
  '02-stamp-before-lookup': {
    strategy: 'exhaustive',
    ops: ['route_new(rt0 -> 10.0.0.1)', 'bind(rt0, create=1)', 'bump', 'bind(rt0, create=0)'],
    field: 'route 0 rt_peer_genid',
    expected: '0x0',
    actual: '0x1',
    cLine: /rt->rt_peer_genid = rt_peer_genid\(\);/,
  },
  '03-check-binds-with-create': { strategy: 'exhaustive', ops: ['route_new(rt0 -> 10.0.0.1)', 'bump', 'check(rt0)'], field: 'route 0 peer', expected: 'NULL', actual: '10.0.0.1', invariant: 'lookup-only-never-creates-peer' },
  '04-compare-less-than': { strategy: 'wrap', ops: ['route_new(rt0 -> 10.0.0.1)', 'bump', 'check(rt0)'], field: 'route 0 rt_peer_genid', expected: '0x0', actual: '0xffffffff', cLine: /rt->rt_peer_genid < rt_peer_genid\(\)/, invariant: 'check-restamps' },
  '05-compare-equal': { strategy: 'exhaustive', ops: ['route_new(rt0 -> 10.0.0.1)', 'peer_new(10.0.0.1)', 'check(rt0)'], field: 'route 0 peer', expected: 'NULL', actual: '10.0.0.1', invariant: 'current-check-is-noop' },
  '06-no-restamp-in-check': {
    strategy: 'exhaustive',
    ops: ['route_new(rt0 -> 10.0.0.1)', 'bind(rt0, create=1)', 'bump', 'check(rt0)'],
    field: 'route 0 rt_peer_genid',
    expected: '0x1',
    actual: '0x0',
    invariant: 'check-restamps',
  },
  '07-restamp-before-expiry-check': { strategy: 'exhaustive', ops: ['route_new(rt0 -> 10.0.0.1)', 'bump', 'flush', 'check(rt0)'], field: 'route 0 rt_peer_genid', expected: '0x0', actual: '0x1', invariant: 'expired-route-fails-untouched' },
  '08-expiry-check-removed': { strategy: 'exhaustive', ops: ['route_new(rt0 -> 10.0.0.1)', 'flush', 'check(rt0)'], field: 'check result', expected: 'NULL', actual: 'dst', cLine: /return dst;/, invariant: 'expired-route-fails-untouched' },
  '09-plain-store-instead-of-cmpxchg': {
    strategy: 'interleavings',
    ops: ['route_new(rt0 -> 10.0.0.1)', 'bind(rt0, create=1)', 'bind(rt0, create=1)'],
    field: 'peer 10.0.0.1 refcnt',
    expected: 1,
    actual: 2,
    cLine: /^rt->peer = peer;$/,
  },
  '10-plain-u32-counter': { strategy: 'interleavings', ops: ['bump', 'bump'], field: 'global genid', expected: '0x2', actual: '0x1', cLine: /static u32 __rt_peer_genid;/ },
  '11-compare-wrong-counter': { strategy: 'wrap', ops: ['route_new(rt0 -> 10.0.0.1)', 'peer_new(10.0.0.1)', 'check(rt0)'], field: 'route 0 peer', expected: 'NULL', actual: '10.0.0.1' },
  '12-check-open-coded-bind': {
    strategy: 'interleavings',
    ops: ['route_new(rt0 -> 10.0.0.1)', 'bump', 'check(rt0)', 'bind(rt0, create=1)'],
    field: 'route 0 peer',
    expected: '10.0.0.1',
    actual: 'NULL',
    cLine: /rt->peer = inet_getpeer_v4\(rt->rt_dst, 0\);/,
  },
};

const mutants = readdirSync(mutantsDir)
  .filter((f) => f.endsWith('.patch'))
  .map((f) => f.replace(/\.patch$/, ''))
  .sort();

describe('verify on the seed and its mutants (pre-seed fixture tree)', () => {
  it('passes the seed patch with every strategy', async () => {
    const r = await verify({ patch: resolve(repoRoot, 'kernel-fixtures/route-genid.patch'), tree });
    expect(r.era).toBe('seed');
    expect(r.ok).toBe(true);
    expect(r.strategies.map((s) => [s.strategy, s.ok])).toEqual([
      ['exhaustive', true],
      ['wrap', true],
      ['random', true],
      ['interleavings', true],
    ]);
    expect(r.strategies.every((s) => s.checked > 0)).toBe(true);
    expect(r.functions.map((f) => f.name).sort()).toEqual(['ipv4_dst_check', 'rt_bind_peer', 'rt_peer_genid']);
  });

  it('has at least 8 mutants, each with an expected counterexample', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(8);
    expect(mutants).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of mutants) {
    it(`kills ${name} with a minimal counterexample`, async () => {
      const r: VerifyReport = await verify({ patch: resolve(mutantsDir, `${name}.patch`), tree });
      const want = EXPECTED[name]!;
      expect(r.ok).toBe(false);
      const d = r.divergence!;
      expect(d.strategy).toBe(want.strategy);
      expect(d.ops.map(formatOp)).toEqual(want.ops);
      expect(d.field).toBe(want.field);
      expect(d.expected).toBe(want.expected);
      expect(d.actual).toBe(want.actual);
      if (want.cLine) expect(d.cLine?.text).toMatch(want.cLine);
      if (want.invariant) expect(d.violates?.map((v) => v.invariant)).toContain(want.invariant);
      // Every C line reported inside the patch's own additions names its patch line.
      if (d.cLine?.added) expect(d.cLine.patchLine).toBeGreaterThan(0);
      if (d.concurrent) expect(d.concurrent.schedule.length).toBeGreaterThan(1);
      else expect(d.step).toBe(d.ops.length - 1);
    });
  }

  for (const name of readdirSync(resolve(mutantsDir, 'equivalent')).filter((f) => f.endsWith('.patch'))) {
    it(`passes the equivalent variant ${name} (not a bug: see its message)`, async () => {
      const r = await verify({ patch: resolve(mutantsDir, 'equivalent', name), tree });
      expect(r.ok).toBe(true);
    });
  }
});
