/**
 * The live bisect's test: build the revision (cached by tree, ccache for the objects), boot it
 * under conform with the chosen scenarios, and turn the scenario verdicts into one key.
 * A revision that does not build, or a kernel that never reaches /init or cannot be observed
 * (no tracefs, refused probes), is skipped: it says nothing about the mechanism. A kernel that
 * crashes or misbehaves while the scenarios run has a verdict: that may be the regression.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, PeerpropError } from '../core/errors.ts';
import { harnessCacheDir } from '../core/cache-dir.ts';
import type { Era } from '../model/types.ts';
import type { AccelChoice } from './accel.ts';
import { runBisect, type BisectCommit, type BisectResult, type Evaluate, type Outcome } from './bisect.ts';
import { bisectGraph } from './bisect-git.ts';
import type { ConformReport } from './conform.ts';

export interface LiveBisectOptions {
  repo: string;
  range: string;
  scenarios?: string[];
  paths?: string[];
  firstParent?: boolean;
  accel?: AccelChoice;
  timeoutS?: number;
  era?: Era;
  jobs?: number;
  cacheDir?: string;
  log?: (line: string) => void;
}

/** Kinds of run problem that mean "the kernel could not be observed", not "it misbehaved". */
const UNOBSERVABLE = new Set(['qemu', 'no-init', 'no-tracefs', 'tun', 'probe-refused']);

/**
 * The trace lines of one step of a scenario: from the workload's `STEP <scenario> <step>` marker
 * to the next marker (the whole scenario when the step is unknown), at most `max` lines,
 * each with its line number in the kept trace file.
 */
export function stepTraceLines(trace: string, scenario: string, step: string | undefined, max = 10): string[] {
  const lines = trace.split('\n');
  const marker = (l: string) => / STEP (\S+) (\S+)\s*$/.exec(l);
  const start = lines.findIndex((l) => {
    const m = marker(l);
    return !!m && m[1] === scenario && (step === undefined ? m[2] === 'begin' : m[2] === step);
  });
  if (start < 0) return [];
  const out: string[] = [];
  for (let i = start; i < lines.length && out.length < max; i++) {
    const m = marker(lines[i]!);
    if (i > start && m && (step !== undefined || m[1] !== scenario || m[2] === 'end')) break;
    out.push(`${i + 1}: ${lines[i]!.trim()}`);
  }
  return out;
}

export function outcomeOfReport(r: Pick<ConformReport, 'scenarios' | 'problems' | 'timings' | 'era'>, trace?: { text: string; file: string }): Outcome {
  const blind = r.problems.filter((p) => UNOBSERVABLE.has(p.kind));
  const neverBooted = r.timings.bootToInit === undefined && r.problems.some((p) => p.kind === 'panic' || p.kind === 'timeout');
  if (blind.length || neverBooted) return { kind: 'skip', reason: `did not boot or cannot be observed: ${(blind[0] ?? r.problems[0])!.message}` };
  const key = r.scenarios.map((v) => `${v.name}:${v.status}`).join(' ');
  const evidence: string[] = [];
  for (const p of r.problems) evidence.push(`run: ${p.kind}: ${p.message}`);
  for (const v of r.scenarios.filter((s) => s.status !== 'pass' && s.status !== 'skip')) {
    evidence.push(`${v.name}: ${v.status}${v.reason ? ` — ${v.reason}` : ''}`);
    for (const c of v.contract.checks.filter((c) => !c.ok)) evidence.push(`  contract: ${c.what}: expected ${c.expected}, observed ${c.observed}`);
    if (v.mechanism.status === 'fail') {
      evidence.push(`  mechanism (${r.era}): ${v.mechanism.reason ?? 'failed'}`);
      for (const d of v.mechanism.diagnostics.slice(0, 8)) evidence.push(`    ${d}`);
    }
    for (const e of v.errors.slice(0, 3)) evidence.push(`  workload: ${e}`);
    if (trace) {
      // The step the first failing check names ("next-use:sock=A:ret=-90"): what the kernel did there.
      const step = /^([\w-]+):/.exec(v.contract.checks.find((c) => !c.ok)?.expected ?? '')?.[1];
      const lines = stepTraceLines(trace.text, v.name, step);
      if (lines.length) evidence.push(`  trace (${trace.file}):`, ...lines.map((l) => `    ${l}`));
    }
  }
  return { kind: 'verdict', key, summary: key, evidence, statuses: Object.fromEntries(r.scenarios.map((v) => [v.name, v.status])) };
}

export function conformEvaluator(opts: LiveBisectOptions): Evaluate {
  return async (c: BisectCommit): Promise<Outcome> => {
    const { buildKernel } = await import('./build/index.ts');
    let dir: string;
    try {
      dir = (await buildKernel({ git: opts.repo, rev: c.oid, cacheDir: opts.cacheDir, jobs: opts.jobs, log: opts.log })).dir;
    } catch (e) {
      // A toolchain piece missing stops everything; anything else is this revision's own.
      if (e instanceof PeerpropError && !/needs .*not found in PATH/.test(e.message)) return { kind: 'skip', reason: `does not build: ${e.message}` };
      throw e;
    }
    const { runConform } = await import('./conform.ts');
    // Each revision's console, capture and trace stay, for the evidence and for a second look.
    const keep = join(harnessCacheDir(opts.cacheDir), 'bisect', c.oid.slice(0, 12));
    let report: ConformReport;
    try {
      report = await runConform({ kernel: dir, scenarios: opts.scenarios, accel: opts.accel, timeoutS: opts.timeoutS, era: opts.era, cacheDir: opts.cacheDir, log: opts.log, keep });
    } catch (e) {
      if (e instanceof PeerpropError && e.exitCode !== ExitCode.EnvMissing) return { kind: 'skip', reason: `cannot be judged: ${e.message}` };
      throw e;
    }
    const traceFile = join(keep, 'trace.txt');
    const text = await readFile(traceFile, 'utf8').catch(() => undefined);
    return outcomeOfReport(report, text === undefined ? undefined : { text, file: traceFile });
  };
}

export async function liveBisect(opts: LiveBisectOptions): Promise<BisectResult> {
  const graph = await bisectGraph(opts.repo, opts.range, { paths: opts.paths, firstParent: opts.firstParent });
  return runBisect(graph, conformEvaluator(opts), opts.log);
}

export function renderBisect(r: BisectResult, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  const v = (o: Outcome) => (o.kind === 'verdict' ? o.summary : `skipped (${o.reason})`);
  const lines = [
    `good ${r.good.oid.slice(0, 12)} "${r.good.subject}": ${v(r.good.outcome)}`,
    `bad  ${r.bad.oid.slice(0, 12)} "${r.bad.subject}": ${v(r.bad.outcome)}`,
    `${r.candidates} candidate commits, ${r.steps.length} tested between them`,
    ...r.steps.map((s, i) => `  step ${i + 1}: ${s.oid.slice(0, 12)} ${s.mark}${s.outcome.kind === 'skip' ? ` (${s.outcome.reason})` : ''} "${s.subject}" — ${s.remaining} left`),
    r.note,
  ];
  if (r.first) {
    lines.push(`first commit whose verdict turns: ${r.first.oid} "${r.first.subject}"`, `  verdict: ${r.first.outcome.summary}`, '  evidence:');
    if (r.first.outcome.evidence.length) lines.push(...r.first.outcome.evidence.map((e) => `    ${e}`));
    else if (r.good.outcome.kind === 'verdict') lines.push('    every scenario passes here; what GOOD showed, now gone:', ...r.good.outcome.evidence.map((e) => `    ${e}`));
  }
  return lines.join('\n') + '\n';
}

/** 0 when a commit is named or there is nothing to bisect; 1 when skipped commits left it open. */
export function bisectExitCode(r: BisectResult): ExitCode {
  return r.ambiguous ? ExitCode.Findings : ExitCode.Clean;
}
