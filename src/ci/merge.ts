/**
 * `peerprop merge`: the shards of one matrix run joined into one report, with no result lost or
 * counted twice. Refused (exit 2, naming the file): a shard missing, a shard twice, shards of
 * another matrix, another run, other options or another peerprop, a shard whose work or runs are
 * not what its index says, and the same kernel name booting different kernels in two shards.
 * A merged report is never a smaller pass than the matrix asked for.
 *
 *   const merged = mergeShards(await loadShards(['shards/']));
 *   merged.exitCode   // the worst of the kernels' (each computed as one unsharded run would)
 */
import { badInput, type ExitCode } from '../core/errors.ts';
import type { ConformReport, ScenarioVerdict } from '../harness/conform.ts';
import { scenarioByName } from '../harness/scenarios.ts';
import { exitCodeOf } from '../harness/verdict.ts';
import type { LoadedShard } from './shard-load.ts';
import { worstExit, type ShardDocument } from './shard.ts';
import { matrixId, sliceOf, type WorkSet } from './work.ts';

/** A run that produced no report (the kernel could not be had, no QEMU, ...). */
export interface KernelRunError {
  shard: string;
  file: string;
  scenarios: string[];
  message: string;
  exitCode: ExitCode;
}

export interface MergedKernel {
  /** The kernel as the matrix names it (`debian`, a path). */
  spec: string;
  /** Every scenario of the matrix for this kernel, in catalogue order, each exactly once. */
  report?: ConformReport;
  errors: KernelRunError[];
  /** The shards that booted this kernel. */
  shards: string[];
  exitCode: ExitCode;
}

export interface MergedReport {
  matrix: ShardDocument['matrix'];
  run: ShardDocument['run'];
  options: ShardDocument['options'];
  peerprop: string;
  shards: { shard: string; file: string; exitCode: ExitCode }[];
  kernels: MergedKernel[];
  exitCode: ExitCode;
}

export function mergeShards(loaded: readonly LoadedShard[], where = 'the given directories'): MergedReport {
  if (loaded.length === 0) throw badInput(`merge: no shard result (*.json written by conform --shard) in ${where}`);
  const first = loaded[0]!;
  const set: WorkSet = { kernels: first.doc.matrix.kernels, scenarios: first.doc.matrix.scenarios };
  const total = first.doc.matrix.shards;
  const byIndex = new Map<number, LoadedShard>();
  for (const s of loaded) {
    checkSameRun(s, first);
    checkOwnWork(s, set, total);
    const other = byIndex.get(s.doc.shard.index);
    if (other) throw badInput(`shard ${s.doc.shard.index}/${total} twice: also in ${other.file} (a result would be counted twice)`, { file: s.file });
    byIndex.set(s.doc.shard.index, s);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const have = [...byIndex.values()].sort((a, b) => a.doc.shard.index - b.doc.shard.index).map((s) => `${s.doc.shard.index}/${total} in ${s.file}`);
    throw badInput(`matrix ${first.doc.matrix.id} is incomplete: shard ${missing.map((i) => `${i}/${total}`).join(', ')} missing (found ${have.join('; ')})`, { file: where });
  }
  const ordered = [...byIndex.values()].sort((a, b) => a.doc.shard.index - b.doc.shard.index);
  checkKernelIdentity(ordered);
  const kernels = set.kernels.map((spec) => mergeKernel(spec, set, ordered));
  return {
    matrix: first.doc.matrix,
    run: first.doc.run,
    options: first.doc.options,
    peerprop: first.doc.peerprop,
    shards: ordered.map((s) => ({ shard: `${s.doc.shard.index}/${total}`, file: s.file, exitCode: s.doc.exitCode })),
    kernels,
    exitCode: worstExit(kernels.map((k) => k.exitCode)),
  };
}

/** Same matrix, partition, run, options and peerprop as the first shard read. */
function checkSameRun(s: LoadedShard, first: LoadedShard): void {
  const d = s.doc;
  const f = first.doc;
  const fail = (what: string) => badInput(`${what} than ${first.file}`, { file: s.file });
  // The id is recomputed: an edited kernel or scenario list with the old id is another matrix.
  if (matrixId({ kernels: d.matrix.kernels, scenarios: d.matrix.scenarios }, d.matrix.shards) !== d.matrix.id) {
    throw badInput(`its matrix id ${d.matrix.id} does not match its kernels, scenarios and shard count (edited, or cut by another partition rule)`, { file: s.file });
  }
  if (d.matrix.partition !== f.matrix.partition) throw fail(`partition rule ${d.matrix.partition}: another rule`);
  if (d.matrix.id !== f.matrix.id) {
    throw fail(`shard of another matrix (${d.matrix.kernels.join(' ')} x ${d.matrix.scenarios.join(' ')} in ${d.matrix.shards} shards)`);
  }
  if (d.run.id !== f.run.id) throw fail(`shard of another run (run ${d.run.id ?? 'unnamed'}${d.run.from ? ` from ${d.run.from}` : ''}, not ${f.run.id ?? 'unnamed'})`);
  if (d.options.smp !== f.options.smp || d.options.era !== f.options.era) {
    throw fail(`run with other options (--smp ${d.options.smp}${d.options.era ? ` --era ${d.options.era}` : ''})`);
  }
  if (d.peerprop !== f.peerprop) throw fail(`written by peerprop ${d.peerprop}: another version`);
  if (d.shard.total !== d.matrix.shards || d.shard.index < 1 || d.shard.index > d.shard.total) throw badInput(`shard ${d.shard.index}/${d.shard.total} of a ${d.matrix.shards}-shard matrix`, { file: s.file });
}

/** Its work is exactly its slice of the matrix, and its runs cover that work exactly, in order. */
function checkOwnWork(s: LoadedShard, set: WorkSet, total: number): void {
  const d = s.doc;
  const want = sliceOf(set, { index: d.shard.index, total });
  const key = (k: string, sc: string) => `${k} ${sc}`;
  const wantKeys = want.map((w) => key(w.kernel, w.scenario));
  if (JSON.stringify(d.shard.work.map((w) => key(w.kernel, w.scenario))) !== JSON.stringify(wantKeys)) {
    throw badInput(`its work is not shard ${d.shard.index}/${total} of the matrix (expected ${wantKeys.length} pairs: ${wantKeys.join(', ') || 'none'})`, { file: s.file });
  }
  const ran: string[] = [];
  for (const r of d.runs) {
    if (r.report) {
      const got = (r.report as { scenarios: { name: string }[] }).scenarios.map((v) => v.name);
      if (JSON.stringify(got) !== JSON.stringify(r.scenarios)) {
        throw badInput(`the run of ${r.kernel} reports ${got.join(', ') || 'no scenario'} where it was to run ${r.scenarios.join(', ')}`, { file: s.file });
      }
    }
    ran.push(...r.scenarios.map((sc) => key(r.kernel, sc)));
  }
  if (JSON.stringify(ran) !== JSON.stringify(wantKeys)) {
    const lost = wantKeys.filter((k) => !ran.includes(k));
    const extra = ran.filter((k, i) => !wantKeys.includes(k) || ran.indexOf(k) !== i);
    throw badInput(`its runs do not cover its work exactly${lost.length ? `; not run: ${lost.join(', ')}` : ''}${extra.length ? `; not its work or twice: ${extra.join(', ')}` : ''}`, { file: s.file });
  }
}

interface KernelIdentity {
  release: string;
  description: string;
  era: string;
  stage?: string;
}

/** A kernel name (`debian`) must mean the same kernel in every shard that booted it. */
function checkKernelIdentity(shards: readonly LoadedShard[]): void {
  const seen = new Map<string, { id: KernelIdentity; file: string }>();
  for (const s of shards) {
    for (const r of s.doc.runs) {
      if (!r.report) continue;
      const rep = r.report as ConformReport;
      const id: KernelIdentity = { release: rep.kernel.release, description: rep.kernel.description, era: rep.era, stage: rep.stage };
      const prev = seen.get(r.kernel);
      if (!prev) {
        seen.set(r.kernel, { id, file: s.file });
        continue;
      }
      if (JSON.stringify(prev.id) !== JSON.stringify(id)) {
        throw badInput(`kernel ${r.kernel} is ${id.description}, era ${id.era}${id.stage ? ` ${id.stage}` : ''} here but ${prev.id.description}, era ${prev.id.era}${prev.id.stage ? ` ${prev.id.stage}` : ''} in ${prev.file} (one name, two kernels)`, { file: s.file });
      }
    }
  }
}

function mergeKernel(spec: string, set: WorkSet, shards: readonly LoadedShard[]): MergedKernel {
  const reports: { shard: string; report: ConformReport }[] = [];
  const errors: KernelRunError[] = [];
  const shardNames: string[] = [];
  for (const s of shards) {
    const name = `${s.doc.shard.index}/${s.doc.shard.total}`;
    for (const r of s.doc.runs.filter((x) => x.kernel === spec)) {
      shardNames.push(name);
      if (r.report) reports.push({ shard: name, report: r.report as ConformReport });
      else if (r.error) errors.push({ shard: name, file: s.file, scenarios: r.scenarios, message: r.error.message, exitCode: r.error.exitCode });
    }
  }
  const report = reports.length > 0 ? joinReports(reports, errors, set.scenarios) : undefined;
  const exitCode = worstExit([...(report ? [report.exitCode] : []), ...errors.map((e) => e.exitCode)]);
  return { spec, report, errors, shards: shardNames, exitCode };
}

/**
 * One kernel's boots as one conform report: scenarios in catalogue order (each from the boot that
 * ran it; a boot that failed to start makes its scenarios errors), run problems of every boot
 * (named by shard), trace and time summed, the exit code computed as for one run.
 */
function joinReports(parts: { shard: string; report: ConformReport }[], errors: KernelRunError[], order: readonly string[]): ConformReport {
  const base = parts[0]!.report;
  const verdicts = new Map<string, ScenarioVerdict>();
  for (const p of parts) for (const v of p.report.scenarios) verdicts.set(v.name, v);
  for (const e of errors) for (const name of e.scenarios) verdicts.set(name, errorVerdict(name, `shard ${e.shard}: ${e.message}`));
  const scenarios = order.filter((n) => verdicts.has(n)).map((n) => verdicts.get(n)!);
  const tag = parts.length + errors.length > 1;
  const problems = parts.flatMap((p) => p.report.problems.map((x) => ({ ...x, message: tag ? `shard ${p.shard}: ${x.message}` : x.message })));
  const uniq = (xs: string[]) => [...new Set(xs)];
  const timings: ConformReport['timings'] = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.report.timings) as [keyof ConformReport['timings'], number | undefined][]) timings[k] = (timings[k] ?? 0) + (v ?? 0);
  }
  const exit = exitCodeOf(problems, scenarios);
  return {
    ...base,
    scenarios,
    problems,
    probes: {
      ...base.probes,
      refused: parts.flatMap((p) => p.report.probes.refused).filter((f, i, all) => all.findIndex((g) => g.line === f.line) === i),
      fellBack: uniq(parts.flatMap((p) => p.report.probes.fellBack)),
    },
    trace: {
      lines: parts.reduce((n, p) => n + p.report.trace.lines, 0),
      events: parts.reduce((n, p) => n + p.report.trace.events, 0),
      replay: uniq(parts.map((p) => p.report.trace.replay)).join('; '),
    },
    timings,
    console: { lastLines: parts.find((p) => p.report.problems.length > 0)?.report.console.lastLines ?? [] },
    kept: undefined,
    exitCode: worstExit([exit, ...errors.map((e) => e.exitCode)]),
  };
}

function errorVerdict(name: string, reason: string): ScenarioVerdict {
  return {
    name,
    description: scenarioByName(name)?.description ?? name,
    status: 'error',
    reason,
    contract: { status: 'error', checks: [], reason },
    mechanism: { status: 'skip', reason, diagnostics: [], events: 0, byKind: {} },
    notes: [],
    errors: [],
  };
}
