/**
 * Sequential differential runs: the model and the C side by side on one operation sequence,
 * compared after every step; exhaustive small-scope enumeration; fast-check random sequences.
 */
import fc from 'fast-check';
import type { Era, ModelState, Operation, Stage } from '../model/types.ts';
import { initialState, liveRoute } from '../model/state.ts';
import { apply } from '../model/apply.ts';
import { CRuntimeFault, type CProgram } from '../ceval/index.ts';
import { CSystem, runOp } from './csystem.ts';
import { diffObservations, observeModel, type FieldDiff, type Observation } from './observe.ts';

/** Where a sequence first diverged. */
export interface SequenceDivergence {
  initialGenid: number;
  /** The sequence up to and including the divergent operation. */
  ops: Operation[];
  /** 0-based index of the divergent operation. */
  step: number;
  diffs: FieldDiff[];
  expected: Observation;
  actual: Observation;
}

export interface RunnerOptions {
  program: CProgram;
  era: Era;
  /** pmtu-redirect era: which stage's model (S2 .. S5) the C is compared with. */
  stage?: Stage;
  /** pmtu-redirect era: the learning operations the C can run (see learning.ts). */
  learning?: ReadonlySet<LearningOp>;
}

/** Operations of the pmtu-redirect era that drive the bumpers, and time. */
export type LearningOp = 'frag_needed' | 'update_pmtu' | 'redirect' | 'tick';

/** True when op can run in state s (routes it names exist; route_new names a free id). */
export function applicable(s: ModelState, op: Operation): boolean {
  switch (op.op) {
    case 'route_new':
      return !liveRoute(s, op.rt);
    case 'bind':
    case 'check':
    case 'route_free':
      return !!liveRoute(s, op.rt);
    case 'pmtu':
      // update_pmtu runs on a route, for that route's destination.
      return op.rt === undefined || liveRoute(s, op.rt)?.daddr === op.daddr;
    default:
      return true;
  }
}

/** A fresh pair (model state, C system) at the same starting genid. */
export function freshPair(o: RunnerOptions, genid: number): { model: ModelState; c: CSystem } {
  return { model: initialState(o.era, { genid, ...(o.stage ? { stage: o.stage } : {}) }), c: new CSystem(o.program, o.era, genid) };
}

/** One step on both sides; the C side is mutated in place. */
export function stepBoth(model: ModelState, c: CSystem, op: Operation): { model: ModelState; diffs: FieldDiff[]; expected: Observation; actual: Observation } {
  const r = apply(model, op);
  let cr: { valid?: boolean };
  let fault: CRuntimeFault | undefined;
  try {
    cr = runOp(c, op);
  } catch (e) {
    if (!(e instanceof CRuntimeFault)) throw e;
    fault = e;
    cr = {};
  }
  const expected = observeModel(r.state, op.op === 'check' ? r.result : undefined);
  const actual = c.observe(op.op === 'check' ? cr.valid : undefined);
  if (fault) actual.fault = fault.oneLine();
  return { model: r.state, diffs: diffObservations(expected, actual), expected, actual };
}

/**
 * Runs a sequence (inapplicable operations are dropped, on both sides alike) and returns the
 * first divergence, or undefined.
 */
export function runSequence(o: RunnerOptions, genid: number, ops: readonly Operation[]): SequenceDivergence | undefined {
  let { model, c } = freshPair(o, genid);
  const done: Operation[] = [];
  for (const op of ops) {
    if (!applicable(model, op)) continue;
    done.push(op);
    const r = stepBoth(model, c, op);
    if (r.diffs.length) return { initialGenid: genid, ops: done, step: done.length - 1, diffs: r.diffs, expected: r.expected, actual: r.actual };
    model = r.model;
  }
  return undefined;
}

export interface Scope {
  routes: number;
  daddrs: readonly string[];
  maxLength: number;
  /** Add these learning operations (the pmtu-redirect era's bumpers, and time passing). */
  learning?: ReadonlySet<LearningOp>;
}

/** The redirect the learning operations send: from the routes' gateway to another router. */
export const REDIRECT = { gateway: '10.0.0.254', from: '10.0.0.1' } as const;

/** MTUs the learning operations use: below the 1500 device MTU and above the 552 minimum, so that no plateau guess is needed. */
export const LEARN_MTUS = [1400, 1300] as const;
/** More than ip_rt_mtu_expires (600 ticks): a learned PMTU expires. */
export const EXPIRY_TICKS = 700;

export const DEFAULT_DADDRS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'] as const;

/**
 * The operations worth trying next. Symmetry reduction: routes are created with the lowest
 * free id and destinations are introduced in order (route 1 to B before anything used B is
 * the same as route 1 to A with names swapped), so each equivalence class is visited once.
 */
function nextOps(s: ModelState, scope: Scope, usedDaddrs: number): Operation[] {
  const out: Operation[] = [];
  const live = [] as number[];
  let free = -1;
  for (let id = 0; id < scope.routes; id++) {
    if (liveRoute(s, id)) live.push(id);
    else if (free < 0) free = id;
  }
  const daddrs = scope.daddrs.slice(0, Math.min(scope.daddrs.length, usedDaddrs + 1));
  if (free >= 0) for (const d of daddrs) out.push({ op: 'route_new', rt: free, daddr: d });
  for (const rt of live) {
    out.push({ op: 'check', rt });
    out.push({ op: 'bind', rt, create: 0 });
    out.push({ op: 'bind', rt, create: 1 });
  }
  for (const d of daddrs) out.push({ op: 'peer_new', daddr: d });
  out.push({ op: 'bump' });
  out.push({ op: 'flush' });
  for (const rt of live) out.push({ op: 'route_free', rt });
  const l = scope.learning;
  if (l) {
    if (l.has('frag_needed')) for (const d of daddrs) out.push({ op: 'pmtu', daddr: d, mtu: LEARN_MTUS[0] });
    if (l.has('update_pmtu')) for (const rt of live) out.push({ op: 'pmtu', daddr: liveRoute(s, rt)!.daddr, mtu: LEARN_MTUS[1], rt });
    if (l.has('redirect')) for (const d of daddrs) out.push({ op: 'redirect', daddr: d, ...REDIRECT });
    if (l.has('tick')) out.push({ op: 'tick', ticks: EXPIRY_TICKS });
  }
  return out;
}

function daddrIndex(scope: Scope, op: Operation): number {
  return 'daddr' in op ? scope.daddrs.indexOf(op.daddr) : -1;
}

export interface ExhaustiveResult {
  sequences: number;
  steps: number;
  divergence?: SequenceDivergence;
}

/**
 * Every sequence up to scope.maxLength (after symmetry reduction), depth first, sharing
 * prefixes. Once a divergence of length L is known only shorter ones are searched, so the
 * result is a shortest divergence in the scope.
 */
export function exhaustive(o: RunnerOptions, genid: number, scope: Scope): ExhaustiveResult {
  const res: ExhaustiveResult = { sequences: 0, steps: 0 };
  let limit = scope.maxLength;
  const path: Operation[] = [];
  const dfs = (model: ModelState, c: CSystem, used: number): void => {
    for (const op of nextOps(model, scope, used)) {
      if (path.length + 1 > limit) return;
      const cc = c.clone();
      path.push(op);
      res.steps++;
      const r = stepBoth(model, cc, op);
      if (r.diffs.length) {
        res.divergence = { initialGenid: genid, ops: [...path], step: path.length - 1, diffs: r.diffs, expected: r.expected, actual: r.actual };
        limit = path.length - 1;
        path.pop();
        return;
      }
      res.sequences++;
      if (path.length < limit) dfs(r.model, cc, Math.max(used, daddrIndex(scope, op) + 1));
      path.pop();
    }
  };
  const start = freshPair(o, genid);
  dfs(start.model, start.c, 0);
  return res;
}

/** fast-check arbitrary of operations over a scope (route ids and destinations). */
export function operationArb(scope: Pick<Scope, 'routes' | 'daddrs' | 'learning'>): fc.Arbitrary<Operation> {
  const rt = fc.integer({ min: 0, max: scope.routes - 1 });
  const daddr = fc.constantFrom(...scope.daddrs);
  const arbs = genidOperationArbs(rt, daddr);
  const l = scope.learning;
  if (!l || l.size === 0) return fc.oneof(...arbs);
  const mtu = fc.constantFrom(...LEARN_MTUS);
  if (l.has('frag_needed')) arbs.push({ weight: 2, arbitrary: fc.record({ op: fc.constant('pmtu' as const), daddr, mtu }) });
  if (l.has('update_pmtu')) arbs.push({ weight: 2, arbitrary: fc.record({ op: fc.constant('pmtu' as const), daddr, mtu, rt }) });
  if (l.has('tick')) arbs.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ticks: fc.constantFrom(100, EXPIRY_TICKS) }) });
  if (l.has('redirect')) {
    arbs.push({
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('redirect' as const), daddr, gateway: fc.constantFrom(REDIRECT.gateway, '10.0.0.253'), from: fc.constant(REDIRECT.from) }),
    });
  }
  return fc.oneof(...arbs);
}

function genidOperationArbs(rt: fc.Arbitrary<number>, daddr: fc.Arbitrary<string>) {
  return [
    { weight: 3, arbitrary: fc.record({ op: fc.constant('route_new' as const), rt, daddr }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('bind' as const), rt, create: fc.constantFrom(0 as const, 1 as const) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('check' as const), rt }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('peer_new' as const), daddr }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('bump' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('route_free' as const), rt }) },
  ] as fc.WeightedArbitrary<Operation>[];
}

/** Starting genids: zero, the int sign boundary of the atomic_t, and just before the u32 wrap. */
export const START_GENIDS = [0, 0x7fffffff, 0xfffffffe, 0xffffffff] as const;

export interface RandomResult {
  runs: number;
  steps: number;
  divergence?: SequenceDivergence;
}

/** Random sequences with fast-check; a failure is shrunk to a small counterexample. */
export function randomSequences(o: RunnerOptions, opts: { runs: number; seed: number; maxLength?: number; routes?: number; daddrs?: readonly string[] }): RandomResult {
  const scope = { routes: opts.routes ?? 3, daddrs: opts.daddrs ?? DEFAULT_DADDRS, ...(o.learning ? { learning: o.learning } : {}) };
  let steps = 0;
  const prop = fc.property(fc.constantFrom(...START_GENIDS), fc.array(operationArb(scope), { minLength: 1, maxLength: opts.maxLength ?? 24 }), (genid, ops) => {
    steps += ops.length;
    return runSequence(o, genid, ops) === undefined;
  });
  const details = fc.check(prop, { numRuns: opts.runs, seed: opts.seed });
  const out: RandomResult = { runs: details.numRuns, steps };
  if (details.failed) {
    // A thrown error (an evaluator limit, a C fault) is not a divergence: re-raise it as is.
    if (details.errorInstance && !details.counterexample) throw details.errorInstance;
    if (details.counterexample) {
      const [genid, ops] = details.counterexample;
      out.divergence = runSequence(o, genid, ops);
    }
  }
  return out;
}
