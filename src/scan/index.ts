/**
 * `peerprop scan` core: verdicts for kernel trees and for git history (per revision, blob-cached),
 * and bisection of the first revision whose verdict changes. The CLI only parses argv and calls
 * runScan(); everything here is importable and testable without a process.
 */
import type { Writable } from 'node:stream';
import { badInput, type ExitCode } from '../core/errors.ts';
import { createProgress } from '../core/progress.ts';
import { DEFAULT_ANALYSER, type AnalyserRef } from './analyser-ref.ts';
import { bisect } from './bisect.ts';
import { assertGitRepo, listRevisions, ObjectReader } from './git.ts';
import { RevisionScanner, type HistoryStats } from './history.ts';
import { createExecutor, type Executor } from './pool.ts';
import { bisectExitCode, exitCodeFor, renderBisect, renderEntries, type ScanFormat } from './render.ts';
import { readTreeSources } from './sources.ts';
import type { BisectResult, ScanEntry } from './types.ts';

export type { ScanEntry, Verdict, VerdictStatus, ScanEra, CheckKind, TreeSources, Analyse, BisectResult } from './types.ts';
export type { AnalyserRef } from './analyser-ref.ts';
export type { ScanFormat } from './render.ts';
export { SCAN_FORMATS, exitCodeFor, renderEntries, renderBisect } from './render.ts';
export { DEFAULT_ANALYSER } from './analyser-ref.ts';

export interface ScanOptions {
  /** Worker threads over distinct trees / blobs (1 = in this thread). */
  jobs?: number;
  /** The analysis to run (default: era detection + facts + differential check). */
  analyser?: AnalyserRef;
  /** false: only `jobs` worker threads analyse, the main thread just dispatches. Default: true for jobs = 1, false above. */
  mainThread?: boolean;
  /** History scans: only revisions that changed one of these paths (as `git log -- PATH...`). */
  paths?: string[];
}

async function withExecutor<T>(opts: ScanOptions, work: (ex: Executor) => Promise<T>): Promise<T> {
  const ex = await createExecutor(opts.analyser ?? DEFAULT_ANALYSER, opts.jobs ?? 1, opts.mainThread === undefined ? {} : { mainThread: opts.mainThread });
  try {
    return await work(ex);
  } finally {
    await ex.close();
  }
}

/** One verdict per tree directory, in the order given. */
export async function scanTrees(dirs: readonly string[], opts: ScanOptions = {}): Promise<ScanEntry[]> {
  if (dirs.length === 0) throw badInput('scan: no kernel tree given (pass DIR... or --git REPO)');
  // Read everything first so that a bad path fails before any work starts.
  const sources = await Promise.all(dirs.map((d) => readTreeSources(d)));
  // No more threads than trees: an idle worker still costs its start-up.
  return withExecutor({ ...opts, jobs: Math.min(opts.jobs ?? 1, sources.length) }, (ex) =>
    Promise.all(sources.map(async (s, i) => ({ target: dirs[i]!, kind: 'tree' as const, verdict: await ex.analyse(s) }))),
  );
}

export interface HistoryScan {
  entries: ScanEntry[];
  stats: HistoryStats;
}

/** One verdict per revision of `range` (oldest first), reading the object store only. */
export async function scanHistory(repo: string, range: string, opts: ScanOptions = {}): Promise<HistoryScan> {
  await assertGitRepo(repo);
  const revs = await listRevisions(repo, range, opts.paths?.length ? { paths: opts.paths } : {});
  if (revs.length === 0) throw badInput(`scan: ${range} contains no revisions`, { file: repo });
  const reader = await ObjectReader.open(repo);
  const progress = createProgress();
  try {
    return await withExecutor({ ...opts, jobs: Math.min(opts.jobs ?? 1, revs.length) }, async (ex) => {
      const scanner = new RevisionScanner(reader, ex);
      progress.start(revs.length, 'scan');
      const entries = await scanner.scanAll(revs, (n) => progress.update(n));
      return { entries, stats: scanner.stats };
    });
  } finally {
    progress.stop();
    reader.close();
  }
}

/** The first revision (first-parent) of GOOD..BAD whose verdict differs from GOOD's. */
export async function bisectHistory(repo: string, spec: string, opts: ScanOptions = {}): Promise<BisectResult> {
  await assertGitRepo(repo);
  const reader = await ObjectReader.open(repo);
  try {
    return await withExecutor(opts, (ex) => bisect(repo, spec, new RevisionScanner(reader, ex)));
  } finally {
    reader.close();
  }
}

/** What the CLI asks for. */
export interface ScanRequest extends ScanOptions {
  dirs: string[];
  git?: string;
  revs?: string;
  bisect?: string;
  format: ScanFormat;
}

/** Runs a scan request, writes the report to `out`, returns the exit code. */
export async function runScan(req: ScanRequest, out: Writable): Promise<ExitCode> {
  if (req.git === undefined) {
    if (req.revs !== undefined || req.bisect !== undefined) throw badInput('scan: --revs and --bisect need --git REPO');
    const entries = await scanTrees(req.dirs, req);
    out.write(renderEntries(entries, req.format, { mode: 'trees' }));
    return exitCodeFor(entries);
  }
  if (req.dirs.length > 0) throw badInput('scan: give either kernel tree directories or --git REPO, not both');
  if (req.bisect !== undefined) {
    if (req.revs !== undefined) throw badInput('scan: --bisect GOOD..BAD replaces --revs; give one of them');
    if (req.paths?.length) throw badInput('scan: --bisect searches the first-parent line; path limits (-- PATH) go with --revs');
    const result = await bisectHistory(req.git, req.bisect, req);
    out.write(renderBisect(result, req.format));
    return bisectExitCode(result);
  }
  const { entries, stats } = await scanHistory(req.git, req.revs ?? 'HEAD', req);
  out.write(renderEntries(entries, req.format, { mode: 'history', repository: req.git, revs: req.revs ?? 'HEAD', stats }));
  return exitCodeFor(entries);
}
