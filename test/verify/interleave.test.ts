import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadProgram } from '../../src/ceval/index.ts';
import { checkScenario, defaultScenarios, explore, type Scenario } from '../../src/verify/interleave.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const seedSource = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/seed/net/ipv4/route.c'), 'utf8');

describe('schedule enumeration', () => {
  it('visits every interleaving of two CPUs exactly once', () => {
    // CPU0 makes 2 accesses, CPU1 makes 3: C(5,2) = 10 schedules (plus each CPU's start).
    const cpu = (n: number) =>
      (function* () {
        for (let i = 0; i < n; i++) yield `access ${i}`;
      })();
    const seen = new Set<string>();
    const count = explore(
      { start: () => ({ cpus: [cpu(2), cpu(3)], finish: () => ({ obs: { routes: [], peers: {} }, results: [] }) }) },
      (leaf) => {
        seen.add(leaf.schedule.join(''));
      },
    );
    expect(count).toBe(10);
    expect(seen.size).toBe(10);
  });

  it('bounds context switches when asked', () => {
    const cpu = (n: number) =>
      (function* () {
        for (let i = 0; i < n; i++) yield i;
      })();
    const runner = { start: () => ({ cpus: [cpu(4), cpu(4)], finish: () => ({ obs: { routes: [], peers: {} }, results: [] }) }) };
    const all = explore(runner, () => {});
    const bounded = explore(runner, () => {}, 1);
    expect(all).toBe(70); // C(8,4)
    // No preemption: 0000 1111 and 1111 0000; one preemption: CPU1 (or CPU0) runs whole in one of
    // the 3 gaps of the other: 2 + 2 * 3.
    expect(bounded).toBe(8);
  });
});

describe('the seed under concurrency', () => {
  const program = loadProgram(seedSource, 'net/ipv4/route.c');

  it('reaches the lost-update state of the seed (a bump between lookup and stamp), and the spec allows it', () => {
    // check on a stale peerless route while another CPU creates the peer and bumps:
    // the check's lookup misses, the bump lands, the stamp reads the new genid -> the route
    // stays peerless with a current genid (kernel behaviour, not a divergence).
    const sc: Scenario = {
      name: 'lost update',
      setup: [{ op: 'route_new', rt: 0, daddr: '10.0.0.1' }, { op: 'bump' }],
      cpus: [[{ op: 'check', rt: 0 }], [{ op: 'peer_new', daddr: '10.0.0.1' }, { op: 'bump' }]],
      initialGenid: 0,
    };
    const r = checkScenario(program, 'seed', sc, Infinity);
    expect(r.divergence).toBeUndefined();
    expect(r.schedules).toBeGreaterThan(10);
  });

  it('passes every default scenario', () => {
    for (const sc of defaultScenarios('seed')) expect(checkScenario(program, 'seed', sc).divergence, sc.name).toBeUndefined();
  });
});
