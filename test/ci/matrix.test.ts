/** `peerprop matrix` in each engine's format: the jobs are the partition's shards, with what conform needs. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { conformCommand, planMatrix, renderMatrix } from '../../src/ci/matrix.ts';
import { parseShard, sliceOf } from '../../src/ci/work.ts';

const kernels = ['debian-6.12', 'debian', '/srv/k/linux-2.6.39.3'];
const scenarios = ['tcp-pmtu', 'udp-pmtu', 'seed-frag-needed'];

describe('planMatrix', () => {
  it('one job per shard, each with its slice and the conform command of that shard', () => {
    const plan = planMatrix(kernels, scenarios, '4');
    expect(plan.shards).toBe(4);
    expect(plan.pairs).toBe(9);
    expect(plan.jobs.map((j) => j.shard)).toEqual(['1/4', '2/4', '3/4', '4/4']);
    for (const j of plan.jobs) {
      expect(j.pairs).toEqual(sliceOf(plan.set, parseShard(j.shard)));
      expect(j.boots).toEqual([...new Set(j.pairs.map((p) => p.kernel))]);
      expect(j.command).toEqual(conformCommand(plan.set, j.shard));
    }
    expect(plan.jobs.flatMap((j) => j.pairs)).toHaveLength(9);
  });

  it('defaults to one shard per kernel', () => {
    const plan = planMatrix(kernels, scenarios);
    expect(plan.shards).toBe(3);
    expect(plan.jobs.map((j) => j.boots)).toEqual([['/srv/k/linux-2.6.39.3'], ['debian'], ['debian-6.12']]);
  });
});

describe('renderMatrix', () => {
  it('github: one line of JSON whose include list GitHub expands into jobs', () => {
    const out = renderMatrix(planMatrix(kernels, scenarios, '2'), 'github');
    expect(out.trimEnd().split('\n')).toHaveLength(1); // $GITHUB_OUTPUT takes name=value on one line
    const m = JSON.parse(out) as { include: Record<string, unknown>[] };
    expect(m.include).toHaveLength(2);
    expect(m.include[0]).toMatchObject({ shard: '1/2', index: 1, total: 2, kernels: '/srv/k/linux-2.6.39.3 debian debian-6.12', scenarios: 'udp-pmtu tcp-pmtu seed-frag-needed' });
    expect(m.include[1]!.label).toBe('2/2 debian x2, debian-6.12 x3');
  });

  it('gitlab: a child pipeline with one parallel:matrix job over the shards and a merge job needing it', () => {
    const plan = planMatrix(kernels, scenarios, '3');
    const doc = parse(renderMatrix(plan, 'gitlab')) as Record<string, Record<string, unknown>>;
    const conform = doc['peerprop-conform']!;
    expect(conform.extends).toBe('.peerprop-conform');
    expect(conform.parallel).toEqual({ matrix: [{ PEERPROP_SHARD: ['1/3', '2/3', '3/3'] }] });
    expect(conform.variables).toEqual({ PEERPROP_KERNELS: plan.set.kernels.join(' '), PEERPROP_SCENARIOS: plan.set.scenarios.join(' '), PEERPROP_MATRIX: plan.id });
    expect(doc['peerprop-merge']!.needs).toEqual([{ job: 'peerprop-conform', artifacts: true }]);
  });

  it('gitlab refuses more shards than one parallel:matrix may have', () => {
    const many = Array.from({ length: 21 }, (_, i) => `k${i}`);
    const ten = ['udp-pmtu', 'udp-pmtu-update', 'tcp-pmtu', 'redirect-gateway', 'redirect-stranger', 'pmtu-min-clamp', 'flush', 'flush-same-destination', 'exception-before-route', 'exception-after-route'];
    const plan = planMatrix(many, ten, '201');
    expect(renderMatrix(plan, 'github')).toContain('"shard":"201/201"');
    expect(() => renderMatrix(plan, 'gitlab')).toThrow(/at most 200 jobs/);
  });

  it('json: the plan with each job\'s pairs and command', () => {
    const plan = planMatrix(['debian'], ['udp-pmtu', 'tcp-pmtu'], '2');
    const j = JSON.parse(renderMatrix(plan, 'json'));
    expect(j).toMatchObject({ matrix: plan.id, kernels: ['debian'], scenarios: ['udp-pmtu', 'tcp-pmtu'], shards: 2, pairs: 2 });
    expect(j.jobs[1]).toEqual({
      shard: '2/2',
      index: 2,
      total: 2,
      label: '2/2 debian x1',
      boots: ['debian'],
      pairs: [{ kernel: 'debian', scenario: 'tcp-pmtu' }],
      command: ['conform', '--kernel', 'debian', '--scenario', 'udp-pmtu', 'tcp-pmtu', '--shard', '2/2', '--format', 'json'],
    });
  });
});
