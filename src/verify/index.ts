/**
 * `peerprop verify`: the C functions of a patch's post-image (or of a tree) run side by side
 * with the reference model on the same operation sequences — exhaustive small scope, the
 * same at the genid's 32-bit wrap, fast-check random sequences, and two-CPU interleavings —
 * compared after every step. The report names the shortest divergence, the step, expected
 * and actual state, and the C line (and patch line) that made the difference.
 */
import type { Era } from '../model/types.ts';
import { ERAS } from '../model/types.ts';
import { badInput } from '../core/errors.ts';
import { loadProgram, type CProgram } from '../ceval/index.ts';
import { extractFacts } from '../csrc/facts.ts';
import { detectEra } from '../csrc/era.ts';
import { CSystem } from './csystem.ts';
import { exhaustive, randomSequences, DEFAULT_DADDRS, type RunnerOptions } from './sequential.ts';
import { probeLearning, detectStage } from './learning.ts';
import { checkInterleavings } from './interleave.ts';
import { explainInterleaving, explainSequence, type Divergence, type Strategy } from './explain.ts';
import { sourceFromPatch, sourceFromText, REQUIRED_FUNCTIONS, type VerifySource } from './source.ts';

export type { Divergence, Strategy, CLine } from './explain.ts';
export { formatOp } from './explain.ts';
export type { VerifySource } from './source.ts';

/** Eras whose C the evaluator runs (fnhe kernels have no rt_bind_peer / genid to run). */
export const VERIFIABLE_ERAS: readonly Era[] = ['pre-genid', 'seed', 'pmtu-redirect'];

export interface VerifyOptions {
  /** Path of the patch (.patch / .mbox). */
  patch: string;
  /** Tree the patch applies to; without it the hunks must hold the whole functions. */
  tree?: string;
  era?: Era;
  /** fast-check runs (default 1000). */
  runs?: number;
  /** fast-check seed (default 42). */
  seed?: number;
  /** Exhaustive scope: longest sequence (default 5; 4 in the pmtu-redirect era, whose alphabet is larger). */
  depth?: number;
  /** Strategies to run (default all). */
  strategies?: readonly Strategy[];
}

export type CheckOptions = Omit<VerifyOptions, 'patch' | 'tree'>;

export interface StrategyResult {
  strategy: Strategy;
  ok: boolean;
  /** Sequences (or schedules) checked and model/C steps taken. */
  checked: number;
  steps: number;
  ms: number;
  /** What it covered, in words. */
  scope: string;
  /** Length of the counterexample it found (operations). */
  counterexampleLength?: number;
}

export interface VerifyReport {
  ok: boolean;
  file: string;
  patch?: string;
  origin: VerifySource['origin'];
  era: Era;
  eraReason: string;
  functions: { name: string; line: number }[];
  strategies: StrategyResult[];
  /** The shortest divergence over all strategies. */
  divergence?: Divergence;
  /** The first divergence of each strategy that found one. */
  divergences: Divergence[];
  seed: number;
  runs: number;
  depth: number;
  /**
   * Statements of the evaluated functions the evaluator could not compile (file:line:column and
   * the construct). None was executed by any operation checked — executing one is an error (exit 2).
   */
  notEvaluated: { file: string; line?: number; column?: number; message: string }[];
  /** pmtu-redirect era: the stage whose model the C was compared with. */
  stage?: import('../model/types.ts').Stage;
  /** pmtu-redirect era: learning operations left out of the alphabet, and why. */
  excludedOperations: { op: string; reason: string }[];
}

export const ALL_STRATEGIES: readonly Strategy[] = ['exhaustive', 'wrap', 'random', 'interleavings'];
export const WRAP_GENID = 0xffffffff;

/** Verifies a patch: its route.c post-image against the model. */
export async function verify(opts: VerifyOptions): Promise<VerifyReport> {
  const src = await sourceFromPatch(opts.patch, opts.tree);
  return verifyPrepared(src, opts);
}

/**
 * Verifies C source directly (a tree's own route.c): what `peerprop scan` calls. The era is
 * detected from the code unless given.
 */
export function verifySource(source: string, file: string, era?: Era, opts: CheckOptions = {}): VerifyReport {
  return verifyPrepared(sourceFromText(source, file), { ...opts, era: era ?? opts.era });
}

function resolveEra(src: VerifySource, given: Era | undefined): { era: Era; reason: string } {
  if (given) {
    if (!ERAS.includes(given)) throw badInput(`unknown era ${given} (one of ${ERAS.join(', ')})`);
    return { era: given, reason: 'given with --era' };
  }
  const v = detectEra(extractFacts(src.source, src.file));
  if (v.era === 'unknown') throw badInput(`cannot tell the era of ${src.file} (${v.reason}); give --era`, { file: src.file });
  return { era: v.era, reason: v.reason };
}

export function verifyPrepared(src: VerifySource, opts: CheckOptions): VerifyReport {
  const { era, reason } = resolveEra(src, opts.era);
  if (!VERIFIABLE_ERAS.includes(era)) {
    throw badInput(`${src.file} is a ${era}-era file: there is no rt_bind_peer()/genid code to evaluate (verify covers ${VERIFIABLE_ERAS.join(', ')})`, { file: src.file });
  }
  const program = loadProgram(src.source, src.file, { lenient: true });
  for (const name of REQUIRED_FUNCTIONS) {
    if (!program.hasFunction(name)) throw badInput(`${name}() is not defined in ${src.file}`, { file: src.file });
  }
  program.prepare([...REQUIRED_FUNCTIONS]);
  // Constructing a system checks the era's globals (and compiles what the operations call).
  new CSystem(program, era, 0);
  const stage = era === 'pmtu-redirect' ? detectStage((re) => program.matches(re)) : undefined;
  const base: RunnerOptions = { program, era, ...(stage ? { stage } : {}) };
  const probe = probeLearning(base);
  const o: RunnerOptions = { ...base, ...(probe.ops.size ? { learning: probe.ops } : {}) };
  const runs = opts.runs ?? 1000;
  const seed = opts.seed ?? 42;
  // The learning operations (pmtu-redirect era) triple the alphabet: one operation less keeps the
  // exhaustive scope at a few seconds.
  const learning = probe.ops.size > 0;
  const depth = opts.depth ?? (learning ? 4 : 5);
  const strategies = opts.strategies ?? ALL_STRATEGIES;
  const results: StrategyResult[] = [];
  const divergences: Divergence[] = [];
  const timed = <T>(fn: () => T): [T, number] => {
    const t = performance.now();
    const r = fn();
    return [r, Math.round(performance.now() - t)];
  };
  const scope = { routes: 2, daddrs: DEFAULT_DADDRS.slice(0, 2), maxLength: depth, ...(o.learning ? { learning: o.learning } : {}) };
  const alphabet = ['route_new, bind, check, peer_new, bump, flush, route_free', ...probe.ops].join(', ');
  for (const s of strategies) {
    if (s === 'exhaustive' || s === 'wrap') {
      const genid = s === 'wrap' ? WRAP_GENID : 0;
      const [r, ms] = timed(() => exhaustive(o, genid, scope));
      const d = r.divergence && explainSequence(o, src, s, r.divergence);
      if (d) divergences.push(d);
      results.push({
        strategy: s,
        ok: !d,
        checked: r.sequences,
        steps: r.steps,
        ms,
        scope: `every sequence of up to ${depth} operations (${alphabet}) over 2 routes and 2 destinations, global genid starting at 0x${genid.toString(16)}`,
        counterexampleLength: d?.length,
      });
    } else if (s === 'random') {
      const [r, ms] = timed(() => randomSequences(o, { runs, seed }));
      const d = r.divergence && explainSequence(o, src, s, r.divergence);
      if (d) divergences.push(d);
      results.push({
        strategy: s,
        ok: !d,
        checked: r.runs,
        steps: r.steps,
        ms,
        scope: `${runs} random sequences (fast-check seed ${seed}) of up to 24 operations (${alphabet}) over 3 routes and 3 destinations, genid starting at 0, 0x7fffffff, 0xfffffffe or 0xffffffff`,
        counterexampleLength: d?.length,
      });
    } else if (s === 'interleavings') {
      const [r, ms] = timed(() => checkInterleavings(program, era, undefined, undefined, stage));
      const d = r.divergence && explainInterleaving(o, src, r.divergence);
      if (d) divergences.push(d);
      results.push({
        strategy: s,
        ok: !d,
        checked: r.schedules,
        steps: r.specSchedules,
        ms,
        scope: `${r.scenarios} two-CPU scenarios (check/bind against a bump after a peer's creation, a concurrent bind, check, bump, flush), every schedule of their shared-memory accesses`,
        counterexampleLength: d?.length,
      });
    }
  }
  const shortest = [...divergences].sort((a, b) => a.length - b.length || ALL_STRATEGIES.indexOf(a.strategy) - ALL_STRATEGIES.indexOf(b.strategy))[0];
  const functions = [...program.functions.values()]
    .filter((f) => (REQUIRED_FUNCTIONS as readonly string[]).includes(f.name) || f.name === 'rt_peer_genid')
    .map((f) => ({ name: f.name, line: f.startLine }));
  return {
    ok: divergences.length === 0,
    file: src.file,
    patch: src.patch,
    origin: src.origin,
    era,
    eraReason: reason,
    functions,
    strategies: results,
    divergence: shortest,
    divergences,
    seed,
    runs,
    depth,
    notEvaluated: program.deferred.map((e) => ({ ...e.location!, message: e.message })),
    ...(stage ? { stage } : {}),
    excludedOperations: probe.excluded,
  };
}

export type { CProgram };
