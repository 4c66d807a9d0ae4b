/** The partition of a matrix into shards: complete, disjoint, balanced, and the same whatever order the names came in. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SCENARIO_NAMES } from '../../src/harness/scenarios.ts';
import { groupByKernel, matrixId, parseShard, parseShardCount, sliceOf, workItems, workSet } from '../../src/ci/work.ts';

const kernelName = fc.stringMatching(/^[A-Za-z0-9./_-]{1,12}$/);
const matrixArb = fc.record({
  kernels: fc.uniqueArray(kernelName, { minLength: 1, maxLength: 5 }),
  scenarios: fc.uniqueArray(fc.constantFrom(...SCENARIO_NAMES), { minLength: 1, maxLength: SCENARIO_NAMES.length }),
  total: fc.integer({ min: 1, max: 40 }),
});

describe('sliceOf', () => {
  it('the shards together are the whole work, each pair exactly once, in order', () => {
    fc.assert(
      fc.property(matrixArb, ({ kernels, scenarios, total }) => {
        const set = workSet(kernels, scenarios);
        const all = workItems(set);
        const joined = Array.from({ length: total }, (_, i) => sliceOf(set, { index: i + 1, total })).flat();
        expect(joined).toEqual(all);
        expect(all.length).toBe(set.kernels.length * set.scenarios.length);
      }),
    );
  });

  it('shard sizes differ by at most one pair, and N shards boot at most K + N - 1 kernels', () => {
    fc.assert(
      fc.property(matrixArb, ({ kernels, scenarios, total }) => {
        const set = workSet(kernels, scenarios);
        const slices = Array.from({ length: total }, (_, i) => sliceOf(set, { index: i + 1, total }));
        const sizes = slices.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        const boots = slices.reduce((n, s) => n + groupByKernel(s).length, 0);
        expect(boots).toBeLessThanOrEqual(set.kernels.length + total - 1);
      }),
    );
  });

  it('does not depend on the order or repetition of the names given', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), ({ kernels, scenarios, total }, seed) => {
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 })).sort((a, b) => a.k - b.k).map((p) => p.x);
        const a = workSet(kernels, scenarios);
        const b = workSet([...shuffle(kernels), kernels[0]!], [scenarios.join(','), ...shuffle(scenarios)]);
        expect(b).toEqual(a);
        expect(matrixId(b, total)).toBe(matrixId(a, total));
        for (let i = 1; i <= total; i++) expect(sliceOf(b, { index: i, total })).toEqual(sliceOf(a, { index: i, total }));
      }),
    );
  });

  it('a documented example: kernels sorted by code units, scenarios in catalogue order, contiguous blocks', () => {
    const set = workSet(['debian-6.12', 'debian', '/k/linux-2.6.39.3'], ['tcp-pmtu', 'udp-pmtu']);
    expect(set).toEqual({ kernels: ['/k/linux-2.6.39.3', 'debian', 'debian-6.12'], scenarios: ['udp-pmtu', 'tcp-pmtu'] });
    expect(sliceOf(set, { index: 2, total: 4 })).toEqual([
      { kernel: '/k/linux-2.6.39.3', scenario: 'tcp-pmtu' },
      { kernel: 'debian', scenario: 'udp-pmtu' },
    ]);
  });

  it('matrix ids differ with the set and the shard count', () => {
    const a = workSet(['debian'], ['udp-pmtu', 'tcp-pmtu']);
    expect(matrixId(a, 2)).not.toBe(matrixId(a, 3));
    expect(matrixId(a, 2)).not.toBe(matrixId(workSet(['debian'], ['udp-pmtu']), 2));
    expect(matrixId(a, 2)).not.toBe(matrixId(workSet(['debian-6.12'], ['udp-pmtu', 'tcp-pmtu']), 2));
  });
});

describe('bad input (exit 2, one line)', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['an unknown scenario', () => workSet(['debian'], ['udp-pmtu', 'no-such']), /unknown scenario "no-such" \(known: udp-pmtu/],
    ['no scenario', () => workSet(['debian'], [' , ']), /no scenario given/],
    ['no kernel', () => workSet([], ['udp-pmtu']), /no kernel given/],
    ['a kernel name with a space', () => workSet(['/my kernels/bzImage'], ['udp-pmtu']), /has a space/],
    ['shard 0/2', () => parseShard('0/2'), /expected I\/N with 1 <= I <= N/],
    ['shard 3/2', () => parseShard('3/2'), /not "3\/2"/],
    ['shard 1/0', () => parseShard('1/0'), /I\/N/],
    ['shard text', () => parseShard('first'), /I\/N/],
    ['shard 1/2/3', () => parseShard('1/2/3'), /I\/N/],
    ['shard -1/2', () => parseShard('-1/2'), /I\/N/],
    ['shard 1/257', () => parseShard('1/257'), /<= 256/],
    ['--shards 0', () => parseShardCount('0', 4), /1\.\.256/],
    ['--shards x', () => parseShardCount('x', 4), /1\.\.256/],
    ['more shards than pairs', () => parseShardCount('5', 4), /5 shards for 4 kernel x scenario pairs/],
  ];
  for (const [name, fn, msg] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ exitCode: 2 });
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('accepts I/N with spaces around', () => {
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, total: 3 });
  });
});
