/**
 * `peerprop matrix`: the job matrix an existing CI engine spreads over its runners. One job per
 * shard; every job runs the same `conform --kernel K... --scenario S... --shard I/N --format json`
 * (work.ts says which pairs each shard takes) and `peerprop merge` joins their files.
 *
 *   renderMatrix(planMatrix(['debian', 'debian-6.12'], ['udp-pmtu', 'tcp-pmtu'], '2'), 'github')
 *   // {"include":[{"shard":"1/2",...},{"shard":"2/2",...}]}   (one line, for $GITHUB_OUTPUT)
 */
import { createRequire } from 'node:module';
import { badInput } from '../core/errors.ts';
import { groupByKernel, matrixId, parseShardCount, sliceOf, workItems, workSet, type WorkItem, type WorkSet } from './work.ts';

export type MatrixFormat = 'github' | 'gitlab' | 'json';
export const MATRIX_FORMATS: readonly MatrixFormat[] = ['github', 'gitlab', 'json'];

/** GitLab refuses a parallel:matrix of more than 200 jobs. */
const GITLAB_MAX_JOBS = 200;

export interface MatrixJob {
  /** `I/N`, what `conform --shard` takes. */
  shard: string;
  index: number;
  total: number;
  /** The kernels this shard boots (one boot each), in partition order. */
  boots: string[];
  pairs: WorkItem[];
  /** The conform command line of this job (argv after `peerprop`). */
  command: string[];
}

export interface MatrixPlan {
  id: string;
  set: WorkSet;
  shards: number;
  pairs: number;
  jobs: MatrixJob[];
}

/** The shard count defaults to one shard per kernel (each job boots one kernel). */
export function planMatrix(kernels: readonly string[], scenarios: readonly string[], shards?: string): MatrixPlan {
  const set = workSet(kernels, scenarios);
  const pairs = workItems(set).length;
  const total = parseShardCount(shards ?? String(set.kernels.length), pairs);
  const jobs: MatrixJob[] = [];
  for (let index = 1; index <= total; index++) {
    const slice = sliceOf(set, { index, total });
    jobs.push({
      shard: `${index}/${total}`,
      index,
      total,
      boots: groupByKernel(slice).map((g) => g.kernel),
      pairs: slice,
      command: conformCommand(set, `${index}/${total}`),
    });
  }
  return { id: matrixId(set, total), set, shards: total, pairs, jobs };
}

export function conformCommand(set: WorkSet, shard: string): string[] {
  return ['conform', '--kernel', ...set.kernels, '--scenario', ...set.scenarios, '--shard', shard, '--format', 'json'];
}

function label(job: MatrixJob): string {
  const counts = groupByKernel(job.pairs).map((g) => `${g.kernel} x${g.scenarios.length}`);
  return `${job.shard} ${counts.join(', ')}`;
}

export function renderMatrix(plan: MatrixPlan, format: MatrixFormat): string {
  switch (format) {
    case 'github':
      return githubMatrix(plan);
    case 'gitlab':
      return gitlabPipeline(plan);
    default:
      return JSON.stringify(jsonMatrix(plan), null, 2) + '\n';
  }
}

/**
 * `strategy.matrix` of GitHub Actions, on one line (`echo "matrix=$(...)" >> $GITHUB_OUTPUT`,
 * then `matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`). Every entry carries the whole
 * kernel and scenario lists, space-separated: each job passes them to conform as shell words.
 */
function githubMatrix(plan: MatrixPlan): string {
  const include = plan.jobs.map((j) => ({
    shard: j.shard,
    index: j.index,
    total: j.total,
    label: label(j),
    kernels: plan.set.kernels.join(' '),
    scenarios: plan.set.scenarios.join(' '),
    boots: j.boots.join(' '),
    matrix: plan.id,
  }));
  return JSON.stringify({ include }) + '\n';
}

/**
 * A GitLab child pipeline: one `parallel:matrix` job over the shards and the merge job after
 * them. Both extend hidden jobs (`.peerprop-conform`, `.peerprop-merge`: image, setup, artifacts)
 * that the parent includes beside this file (ci/gitlab-ci.yml shows how).
 */
function gitlabPipeline(plan: MatrixPlan): string {
  const variables = {
    PEERPROP_KERNELS: plan.set.kernels.join(' '),
    PEERPROP_SCENARIOS: plan.set.scenarios.join(' '),
    PEERPROP_MATRIX: plan.id,
  };
  if (plan.shards > GITLAB_MAX_JOBS) {
    // GitLab's own limit; a GitHub or JSON plan may have more
    throw badInput(`--shards: GitLab runs at most ${GITLAB_MAX_JOBS} jobs in one parallel:matrix, not ${plan.shards}`);
  }
  const doc = {
    'peerprop-conform': {
      extends: '.peerprop-conform',
      variables,
      parallel: { matrix: [{ PEERPROP_SHARD: plan.jobs.map((j) => j.shard) }] },
    },
    'peerprop-merge': {
      extends: '.peerprop-merge',
      variables,
      needs: [{ job: 'peerprop-conform', artifacts: true }],
    },
  };
  const head = `# peerprop matrix ${plan.id}: ${plan.set.kernels.length} kernel(s) x ${plan.set.scenarios.length} scenario(s) = ${plan.pairs} pairs in ${plan.shards} shard(s)\n`;
  // Loaded here, not at start-up: every command registers `matrix`, only --format gitlab needs YAML.
  const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return head + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function jsonMatrix(plan: MatrixPlan): unknown {
  return {
    matrix: plan.id,
    kernels: plan.set.kernels,
    scenarios: plan.set.scenarios,
    shards: plan.shards,
    pairs: plan.pairs,
    jobs: plan.jobs.map((j) => ({ shard: j.shard, index: j.index, total: j.total, label: label(j), boots: j.boots, pairs: j.pairs, command: j.command })),
  };
}
