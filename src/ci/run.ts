/**
 * `peerprop ci` core: runs what applies with the commands' own cores (review and verify of each
 * patch, scan of the tree or the range, conform on each kernel), then writes every format into
 * the output directory (outputs.ts). The exit code is the worst part's.
 */
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExitCode, PeerpropError, badInput } from '../core/errors.ts';
import { isInteractive, log } from '../core/log.ts';
import { createProgress, type Progress } from '../core/progress.ts';
import { SCENARIO_NAMES } from '../harness/scenarios.ts';
import { patchFileSha256 } from '../report/kcidb-source.ts';
import type { CiOptions, CiPart, CiResult, ConformPart, ScanPart } from './types.ts';
import { writeOutputs } from './outputs.ts';
import { summaryLine } from './summary.ts';

/** Refuses what cannot be run before anything runs (exit 2, one line). */
async function validate(o: CiOptions): Promise<void> {
  if (o.tree !== undefined && o.git !== undefined) throw badInput('ci: give --tree DIR or --git REPO, not both');
  if (o.revs !== undefined && o.git === undefined) throw badInput('ci: --revs needs --git REPO');
  if (o.tree === undefined && o.git === undefined && o.patches.length === 0 && o.kernels.length === 0) {
    throw badInput('ci: nothing to check: give --tree DIR, --git REPO --revs A..B, --patch FILE or --kernel K');
  }
  if (o.scenarios?.length) {
    if (o.kernels.length === 0) throw badInput('ci: --scenario chooses conform scenarios: it needs --kernel');
    const unknown = o.scenarios.find((n) => !SCENARIO_NAMES.includes(n));
    if (unknown !== undefined) throw badInput(`ci: unknown scenario "${unknown}" (known: ${SCENARIO_NAMES.join(', ')})`);
  }
  for (const [what, list] of [['--patch', o.patches], ['--kernel', o.kernels]] as const) {
    const dup = list.find((x, i) => list.indexOf(x) !== i);
    // Two identical parts would report one result twice (one KCIDB id for two test runs).
    if (dup !== undefined) throw badInput(`ci: ${what} ${dup} given twice`);
  }
  // Two files with the same bytes are one patch to KCIDB (its id hashes the content).
  const digests = o.patches.map(patchFileSha256);
  const same = digests.findIndex((d, i) => d !== undefined && digests.indexOf(d) !== i);
  if (same >= 0) throw badInput(`ci: --patch ${o.patches[same]} has the same content as ${o.patches[digests.indexOf(digests[same])]}`);
  const s = await stat(o.out).catch(() => undefined);
  if (s && !s.isDirectory()) throw badInput(`ci: --out ${o.out} exists and is not a directory`);
  await mkdir(o.out, { recursive: true });
}

/** What the part's failure means: a PeerpropError keeps its code; anything else is a bug (exit 2, as main() reports one). */
function failure(err: unknown): { exitCode: ExitCode; error: string } {
  if (err instanceof PeerpropError) return { exitCode: err.exitCode, error: err.oneLine() };
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ENOTDIR')) return { exitCode: ExitCode.BadInput, error: `${e.path ?? ''}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}` };
  log.debug(e instanceof Error && e.stack ? e.stack : String(e));
  return { exitCode: ExitCode.BadInput, error: `internal error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
}

type Body<P extends CiPart> = Omit<P, 'title' | 'exitCode' | 'error' | 'startedAt' | 'durationMs' | 'kind'>;

async function runPart<P extends CiPart>(kind: P['kind'], title: string, fn: () => Promise<{ exitCode: ExitCode; body: Partial<Body<P>> }>, base: Body<P>): Promise<P> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  try {
    const { exitCode, body } = await fn();
    return { kind, title, exitCode, startedAt, durationMs: performance.now() - t0, ...base, ...body } as unknown as P;
  } catch (err) {
    return { kind, title, ...failure(err), startedAt, durationMs: performance.now() - t0, ...base } as unknown as P;
  }
}

/** A directory name for a kernel's kept files: its spec, made safe, unique by position. */
function kernelDir(spec: string, i: number): string {
  return `${String(i + 1).padStart(2, '0')}-${basename(spec).replace(/[^A-Za-z0-9._-]+/g, '_') || 'kernel'}`;
}

export async function runCi(o: CiOptions): Promise<CiResult> {
  await validate(o);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const parts: CiPart[] = [];
  const total = o.patches.length * 2 + (o.tree !== undefined || o.git !== undefined ? 1 : 0) + o.kernels.length;
  const progress = createProgress();
  let done = 0;
  const step = (label: string) => progress.update(done, label);
  progress.start(total, 'ci');
  try {
    for (const patch of o.patches) {
      step(`review ${patch}`);
      parts.push(await reviewPart(o, patch));
      done++;
      step(`verify ${patch}`);
      parts.push(await verifyPart(o, patch));
      done++;
    }
    if (o.tree !== undefined || o.git !== undefined) {
      step(`scan ${o.tree ?? o.git}`);
      // A history scan draws its own bar (one per revision): ours steps aside meanwhile.
      if (o.git !== undefined) progress.stop();
      parts.push(await scanPart(o));
      done++;
      if (o.git !== undefined) {
        progress.start(total, 'ci');
        progress.update(done);
      }
    }
    for (const [i, kernel] of o.kernels.entries()) {
      parts.push(await conformPart(o, kernel, i, progress, () => done));
      done++;
      progress.update(done);
    }
  } finally {
    progress.stop();
  }
  const exitCode = parts.reduce<ExitCode>((w, p) => (p.exitCode > w ? p.exitCode : w), ExitCode.Clean);
  const durationMs = performance.now() - t0;
  const files = await writeOutputs(o, parts, exitCode, startedAt);
  return { parts, exitCode, startedAt, durationMs, files, summary: summaryLine(parts, exitCode, o.out, durationMs) };
}

async function reviewPart(o: CiOptions, patch: string): Promise<CiPart> {
  return runPart('review', `review ${patch}${o.tree ? ` --tree ${o.tree}` : ''}`, async () => {
    const { reviewPatch } = await import('../review/index.ts');
    const report = await reviewPatch({ patch, ...(o.tree ? { tree: o.tree } : {}) });
    return { exitCode: report.exitCode === 1 ? ExitCode.Findings : ExitCode.Clean, body: { report } };
  }, { patch });
}

async function verifyPart(o: CiOptions, patch: string): Promise<CiPart> {
  return runPart('verify', `verify ${patch}${o.tree ? ` --tree ${o.tree}` : ''}`, async () => {
    const { verify } = await import('../verify/index.ts');
    const report = await verify({ patch, ...(o.tree ? { tree: o.tree } : {}) });
    return { exitCode: report.ok ? ExitCode.Clean : ExitCode.Findings, body: { report } };
  }, { patch });
}

async function scanPart(o: CiOptions): Promise<ScanPart> {
  const target = o.tree ?? `${o.git} ${o.revs ?? 'HEAD'}`;
  return runPart<ScanPart>('scan', `scan ${target}`, async () => {
    const scan = await import('../scan/index.ts');
    const jobs = o.jobs ?? 1;
    const entries = o.tree !== undefined ? await scan.scanTrees([o.tree], { jobs }) : (await scan.scanHistory(o.git!, o.revs ?? 'HEAD', { jobs })).entries;
    return { exitCode: scan.exitCodeFor(entries), body: { entries } };
  }, { target, ...(o.git !== undefined ? { repository: o.git } : {}) });
}

async function conformPart(o: CiOptions, kernel: string, i: number, progress: Progress, done: () => number): Promise<ConformPart> {
  const keep = join(o.out, 'conform', kernelDir(kernel, i));
  // On a terminal the bar's label follows the run (kernel, boot, each scenario); elsewhere the
  // lines are logs, which CI does not print.
  const say = (line: string) => {
    const scenario = /@@SCENARIO_END (\S+)/.exec(line)?.[1];
    const label = `conform ${kernel}: ${scenario ? `${scenario} done` : line.replace(/^guest: /, '')}`;
    if (isInteractive()) progress.update(done(), label.length > 70 ? label.slice(0, 69) + '…' : label);
    else log.info(label);
  };
  progress.update(done(), `conform ${kernel}`);
  return runPart<ConformPart>('conform', `conform --kernel ${kernel}`, async () => {
    const { runConform } = await import('../harness/conform.ts');
    const report = await runConform({
      kernel,
      keep,
      log: say,
      ...(o.scenarios?.length ? { scenarios: o.scenarios } : {}),
      ...(o.accel ? { accel: o.accel } : {}),
      ...(o.cpus ? { cpus: o.cpus } : {}),
      ...(o.timeoutS ? { timeoutS: o.timeoutS } : {}),
    });
    return { exitCode: report.exitCode, body: { report } };
  }, { kernel });
}
