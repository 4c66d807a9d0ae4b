/**
 * `conform --shard I/N`: one slice of a matrix's kernel × scenario work (work.ts), one boot per
 * kernel of the slice, and a JSON document that says which shard it is, the whole set it was cut
 * from and the run it belongs to, so that `peerprop merge` can prove the shards complete.
 *
 *   const { doc } = await runShard({ kernels: ['debian'], scenarios: ['udp-pmtu', 'tcp-pmtu'], shard: { index: 1, total: 2 } });
 *   doc.shard.work   // [{ kernel: 'debian', scenario: 'udp-pmtu' }]
 */
import { join } from 'node:path';
import { ExitCode, PeerpropError } from '../core/errors.ts';
import { packageVersion } from '../core/version.ts';
import type { Era } from '../model/types.ts';
import type { AccelChoice } from '../harness/accel.ts';
import type { ConformOptions, ConformReport } from '../harness/conform.ts';
import { groupByKernel, matrixId, PARTITION_VERSION, sliceOf, workSet, type ShardSpec, type WorkItem } from './work.ts';

export const SHARD_FORMAT = 'peerprop-shard';
export const SHARD_VERSION = 1;

/** One boot of the shard: a kernel and the scenarios of the slice it ran. */
export interface ShardRun {
  kernel: string;
  scenarios: string[];
  /** The conform report (its JSON form), when the run produced one. */
  report?: unknown;
  /** Why the run produced no report (a kernel that could not be had, no QEMU, ...). */
  error?: { message: string; exitCode: ExitCode };
}

export interface ShardDocument {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  peerprop: string;
  matrix: { id: string; partition: number; kernels: string[]; scenarios: string[]; shards: number };
  /** Options that change what a scenario observes: shards run with different ones never merge. */
  options: { smp: number; era: Era | null };
  /** The CI run (pipeline) the shard belongs to: shards of different runs never merge. */
  run: { id: string | null; from: string | null };
  shard: { index: number; total: number; work: WorkItem[] };
  runs: ShardRun[];
  exitCode: ExitCode;
}

export interface ShardOptions {
  kernels: readonly string[];
  scenarios: readonly string[];
  shard: ShardSpec;
  cpus?: number;
  era?: Era;
  accel?: AccelChoice;
  timeoutS?: number;
  /** Keep each boot's files in DIR/<n>-<kernel>. */
  keep?: string;
  /** The CI run's id (default: GITHUB_RUN_ID, CI_PIPELINE_ID). */
  runId?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export type RunConform = (o: ConformOptions) => Promise<ConformReport>;

export interface ShardResult {
  doc: ShardDocument;
  /** The reports of the runs that produced one, in run order. */
  reports: ConformReport[];
}

/** The run id given, else the CI engine's own (GitHub Actions, GitLab CI). */
export function runIdentity(runId: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardDocument['run'] {
  if (runId !== undefined && runId.trim() !== '') return { id: runId.trim(), from: '--run-id' };
  for (const v of ['GITHUB_RUN_ID', 'CI_PIPELINE_ID']) {
    const id = env[v];
    if (id && id.trim() !== '') return { id: id.trim(), from: v };
  }
  return { id: null, from: null };
}

export async function runShard(o: ShardOptions, conform?: RunConform): Promise<ShardResult> {
  const set = workSet(o.kernels, o.scenarios, { kernels: '--kernel', scenarios: '--scenario' });
  const work = sliceOf(set, o.shard);
  const run = conform ?? (await import('../harness/conform.ts')).runConform;
  const runs: ShardRun[] = [];
  const reports: ConformReport[] = [];
  const groups = groupByKernel(work);
  o.log?.(`shard ${o.shard.index}/${o.shard.total}: ${work.length} of ${set.kernels.length * set.scenarios.length} pairs, ${groups.length} boot(s)`);
  for (const [i, g] of groups.entries()) {
    try {
      const report = await run({
        kernel: g.kernel,
        scenarios: g.scenarios,
        cpus: o.cpus,
        era: o.era,
        accel: o.accel,
        timeoutS: o.timeoutS,
        keep: o.keep ? join(o.keep, `${i + 1}-${g.kernel.replace(/[^A-Za-z0-9._-]+/g, '_')}`) : undefined,
        log: o.log,
      });
      const { reportToJson } = await import('../harness/conform.ts');
      runs.push({ kernel: g.kernel, scenarios: g.scenarios, report: reportToJson(report) });
      reports.push(report);
    } catch (err) {
      // One kernel that cannot be had does not lose the others' results; the merge reports
      // its scenarios as errors with this reason.
      if (!(err instanceof PeerpropError)) throw err;
      o.log?.(`shard ${o.shard.index}/${o.shard.total}: ${g.kernel}: ${err.oneLine()}`);
      runs.push({ kernel: g.kernel, scenarios: g.scenarios, error: { message: err.oneLine(), exitCode: err.exitCode } });
    }
  }
  const doc: ShardDocument = {
    format: SHARD_FORMAT,
    version: SHARD_VERSION,
    peerprop: packageVersion(),
    matrix: { id: matrixId(set, o.shard.total), partition: PARTITION_VERSION, kernels: set.kernels, scenarios: set.scenarios, shards: o.shard.total },
    options: { smp: o.cpus ?? 1, era: o.era ?? null },
    run: runIdentity(o.runId, o.env),
    shard: { index: o.shard.index, total: o.shard.total, work },
    runs,
    exitCode: worstExit([...runs.filter((r) => r.error).map((r) => r.error!.exitCode), ...reports.map(shardExit)]),
  };
  return { doc, reports };
}

/**
 * A run's exit code as a shard job reports it: conform's, except that a slice holding only
 * scenarios the kernel's era skips is not "nothing to check" (exit 2) here: whether the matrix
 * checked anything is the merge's to say.
 */
function shardExit(r: ConformReport): ExitCode {
  const onlySkips = r.scenarios.length > 0 && r.scenarios.every((v) => v.status === 'skip') && !r.problems.some((p) => p.exitCode !== ExitCode.Clean);
  return onlySkips ? ExitCode.Clean : r.exitCode;
}

/** 3 (environment) over 2 (bad input) over 1 (findings) over 0. */
export function worstExit(codes: readonly ExitCode[]): ExitCode {
  let worst: ExitCode = ExitCode.Clean;
  for (const c of codes) if (c > worst) worst = c;
  return worst;
}
