/**
 * The differential check as scan runs it: src/verify's verifySource on the tree's own route.c
 * (the era already detected from the code), turned into a one-line outcome located at the C line
 * that made the difference. Results are memoised by the check's closure (closure.ts): a revision
 * whose protocol functions did not change reuses the result, with its line numbers moved to
 * where those functions now are.
 */
import { PeerpropError } from '../core/errors.ts';
import type { Tree } from '../csrc/parse.ts';
import { verifySource, formatOp, type CheckOptions, type VerifyReport } from '../verify/index.ts';
import { renderDivergence } from '../verify/format.ts';
import { checkClosure, lineMapper, type Closure } from './closure.ts';
import type { CheckOutcome, CheckedEra } from './pipeline.ts';

/**
 * The check scan runs per distinct closure: every strategy of verify (exhaustive, genid wrap,
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

interface Memo {
  closure: Closure;
  outcome: CheckOutcome;
}

/** A memo entry as sent between worker threads (plain data). */
export interface SharedMemo {
  key: string;
  closure: Closure;
  outcome: CheckOutcome;
}

const MEMO_MAX = 256;
const memo = new Map<string, Memo>();
/** Results computed here since the last exportShared() (the pool passes them to the other workers). */
let unshared: SharedMemo[] = [];
export const memoStats = { hits: 0, misses: 0 };

/**
 * Memoisation can be turned off with PEERPROP_SCAN_MEMO=0 (benchmarks use it to measure the
 * check per distinct route.c blob; workers inherit the environment).
 */
function memoEnabled(): boolean {
  return process.env.PEERPROP_SCAN_MEMO !== '0';
}

/** The check, memoised by closure (per thread). */
export function differentialCheck(tree: Tree, source: string, file: string, era: CheckedEra): CheckOutcome {
  if (!memoEnabled()) return runCheck(source, file, era);
  const closure = checkClosure(tree, `${era}\0${file}\0${JSON.stringify(SCAN_CHECK_OPTIONS)}`);
  const hit = memo.get(closure.key);
  if (hit) {
    memoStats.hits++;
    const map = lineMapper(hit.closure, closure);
    const moved = moveLines(hit.outcome, file, map);
    return { ...moved, details: [...(moved.details ?? []), 'result reused: the checked functions are unchanged since an earlier revision'] };
  }
  memoStats.misses++;
  const outcome = runCheck(source, file, era);
  remember(closure.key, { closure, outcome });
  unshared.push({ key: closure.key, closure, outcome });
  if (unshared.length > MEMO_MAX) unshared.shift();
  return outcome;
}

function remember(key: string, m: Memo): void {
  if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
  memo.set(key, m);
}

/** Check results computed in this thread since the last call (for the other workers). */
export function exportShared(): SharedMemo[] {
  const out = unshared;
  unshared = [];
  return out;
}

/** Results another worker computed: later revisions with the same closure reuse them. */
export function importShared(items: SharedMemo[]): void {
  for (const it of items) if (!memo.has(it.key)) remember(it.key, { closure: it.closure, outcome: it.outcome });
}

/** Forgets memoised results (benchmarks measure the check itself with this). */
export function clearCheckMemo(): void {
  memo.clear();
  unshared = [];
  memoStats.hits = 0;
  memoStats.misses = 0;
}
