/**
 * The differential check as scan runs it: src/verify's verifySource on the tree's own route.c
 * (the era already detected from the code), turned into a one-line outcome located at the C line
 * that made the difference. Results are memoised by everything the check read (depmemo.ts): a
 * revision on which every definition the evaluator looked up is unchanged reuses the result,
 * with its line numbers moved to where those definitions now are.
 */
import { PeerpropError } from '../core/errors.ts';
import type { Tree } from '../csrc/parse.ts';
import { verifySource, formatOp, type CheckOptions, type VerifyReport } from '../verify/index.ts';
import { renderDivergence } from '../verify/render.ts';
import { loadProgram, peekProgram, type CProgram } from '../ceval/index.ts';
import { DepMemo, type MemoEntry } from './depmemo.ts';
import { analyserId } from './version.ts';
import type { CheckOutcome, CheckedEra } from './pipeline.ts';

/**
 * The check scan runs per distinct set of definitions read: every strategy of verify (exhaustive, genid wrap,
 * random, two-CPU interleavings) at a CI-sized scope: exhaustive up to 4 operations, 200 random
 * sequences. `peerprop verify` runs the full default scope on one patch.
 */
export const SCAN_CHECK_OPTIONS: CheckOptions = { runs: 200, depth: 4 };

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

export function outcomeOf(report: VerifyReport, file: string): CheckOutcome {
  const fns = report.functions.map((f) => `${f.name}() at ${file}:${f.line}`);
  const functions = report.functions.map((f) => f.name);
  const strategies = report.strategies.map((s) => `${s.strategy} ${s.ok ? 'ok' : 'FAIL'} (${s.checked})`).join(', ');
  if (report.ok) {
    const first = report.functions[0];
    return {
      status: 'pass',
      reason: `${functions.map((f) => `${f}()`).join(', ')} agree with the ${report.era} model: ${strategies}`,
      ...(first ? { location: { file, line: first.line } } : {}),
      functions,
      details: [`functions: ${fns.join(', ')}`, ...report.strategies.map((s) => `${s.strategy}: ${s.checked} checked, ${s.scope}`)],
    };
  }
  const d = report.divergence!;
  const where = d.cLine ? ` at ${d.cLine.file}:${d.cLine.line} in ${d.cLine.function}(): ${d.cLine.text}` : '';
  const ops = d.concurrent
    ? `${d.concurrent.setup.map(formatOp).join(', ')}${d.concurrent.setup.length ? ', then ' : ''}CPU0 ${d.concurrent.cpus[0].map(formatOp).join('; ')} || CPU1 ${d.concurrent.cpus[1].map(formatOp).join('; ')}`
    : d.ops.map(formatOp).join(', ');
  return {
    status: 'divergence',
    reason: oneLine(`${d.field}: model ${String(d.expected)}, C ${String(d.actual)} after ${ops} (${d.strategy})${where}`),
    ...(d.cLine ? { location: { file: d.cLine.file, line: d.cLine.line, column: d.cLine.column } } : {}),
    functions,
    details: [`functions: ${fns.join(', ')}`, `strategies: ${strategies}`, ...renderDivergence(d)],
  };
}

/** Runs the check; an unsupported construct or a missing function is 'unsupported', located. */
export function runCheck(source: string, file: string, era: CheckedEra, opts: CheckOptions = SCAN_CHECK_OPTIONS): CheckOutcome {
  try {
    return outcomeOf(verifySource(source, file, era, opts), file);
  } catch (err) {
    if (!(err instanceof PeerpropError)) throw err;
    const loc = err.location;
    return {
      status: 'unsupported',
      reason: err.oneLine(),
      ...(loc?.line !== undefined ? { location: { file: loc.file || file, line: loc.line, ...(loc.column ? { column: loc.column } : {}) } } : {}),
    };
  }
}

/** Moves every `file:LINE` of an outcome (location, reason, details) with `map`. */
function moveLines(o: CheckOutcome, file: string, map: (line: number) => number): CheckOutcome {
  const re = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:(\\d+)`, 'g');
  const fix = (s: string) => s.replace(re, (_m, n: string) => `${file}:${map(Number(n))}`);
  return {
    ...o,
    reason: fix(o.reason),
    ...(o.location ? { location: { ...o.location, line: o.location.file === file ? map(o.location.line) : o.location.line } } : {}),
    ...(o.details ? { details: o.details.map(fix) } : {}),
  };
}

/** A memo entry as sent between worker threads (plain data). */
export type SharedMemo = MemoEntry<CheckOutcome>;

const memo = new DepMemo<CheckOutcome>(256);
/** hits / misses of the memo; notStored: results naming a line outside what the check read. */
export const memoStats = memo.stats;

/**
 * Memoisation can be turned off with PEERPROP_SCAN_MEMO=0 (benchmarks use it to measure the
 * check per distinct route.c blob; workers inherit the environment).
 */
function memoEnabled(): boolean {
  return process.env.PEERPROP_SCAN_MEMO !== '0';
}

/** Everything besides the file's text that the check's result depends on. */
function checkContext(era: CheckedEra, file: string): string {
  return JSON.stringify({ analyser: analyserId(), era, file, options: SCAN_CHECK_OPTIONS });
}

/** The line numbers an outcome names (its location and every file:LINE of its text). */
function linesNamed(o: CheckOutcome, file: string): number[] {
  const re = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:(\\d+)`, 'g');
  const out: number[] = [];
  if (o.location && o.location.file === file) out.push(o.location.line);
  for (const s of [o.reason, ...(o.details ?? [])]) for (const m of s.matchAll(re)) out.push(Number(m[1]));
  return out;
}

const LENIENT = { lenient: true } as const;

/**
 * The check, memoised by what it read (per thread): the evaluator records every name it looked
 * up and every pattern it tested (src/ceval CProgram.reads); a text on which all of them answer
 * the same reuses the result, its lines moved to where those definitions now are.
 */
export function differentialCheck(_tree: Tree, source: string, file: string, era: CheckedEra): CheckOutcome {
  if (!memoEnabled()) return runCheck(source, file, era);
  const context = checkContext(era, file);
  let program: CProgram;
  try {
    // The same program verify will run (cached by text), so the lookup costs no extra parse.
    program = loadProgram(source, file, LENIENT);
  } catch {
    return runCheck(source, file, era); // the check reports why the text cannot be loaded
  }
  const hit = memo.lookup(program, source, context);
  if (hit) {
    const moved = moveLines(hit.value, file, hit.moveLine);
    return { ...moved, details: [...(moved.details ?? []), 'result reused: everything the check read is unchanged since an earlier revision'] };
  }
  const outcome = runCheck(source, file, era);
  // What verify ran on: the cached program of this text, its reads now complete.
  const ran = peekProgram(source, file, LENIENT);
  if (ran) memo.store(ran, source, context, outcome, linesNamed(outcome, file));
  return outcome;
}

/** Check results computed in this thread since the last call (for the other workers). */
export function exportShared(): SharedMemo[] {
  return memo.exportShared();
}

/** Results another worker computed: later revisions with the same reads reuse them. */
export function importShared(items: SharedMemo[]): void {
  memo.importShared(items);
}

/** Forgets memoised results (benchmarks measure the check itself with this). */
export function clearCheckMemo(): void {
  memo.clear();
}
