/**
 * Two-CPU interleavings. Each CPU runs a list of operations as a generator that yields at
 * its shared-memory accesses; every schedule (which CPU takes the next step) is enumerated
 * by stateless search: a run follows a schedule prefix, then takes the lowest runnable CPU,
 * and every later point where the other CPU could have run becomes a new prefix. Each
 * complete schedule is run exactly once.
 *
 * The C's final state in every schedule must be one the specification (spec.ts) reaches in
 * some schedule of its own.
 */
import type { Era, ModelState, Operation, Stage } from '../model/types.ts';
import { cloneState, initialState } from '../model/state.ts';
import { applyInPlace } from '../model/apply.ts';
import { CRuntimeFault, type CProgram, type Access } from '../ceval/index.ts';
import { CSystem, runOp } from './csystem.ts';
import { specOp } from './spec.ts';
import { diffObservations, observationKey, observeModel, type FieldDiff, type Observation } from './observe.ts';

export interface Scenario {
  name: string;
  /** Run first, on one CPU, on both sides. */
  setup: Operation[];
  cpus: [Operation[], Operation[]];
  initialGenid: number;
}

interface Leaf {
  schedule: number[];
  /** What each step did: the CPU and the access it made. */
  log: { cpu: number; what: string; access?: Access }[];
  obs: Observation;
  results: (boolean | undefined)[][];
  key: string;
}

interface Runner {
  /** Fresh CPU generators on a fresh copy of the setup state. */
  start(): { cpus: Generator<unknown, void, void>[]; finish(): { obs: Observation; results: (boolean | undefined)[][] } };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v;
  const a = v as Access;
  if (a?.site) return `${a.kind} ${a.target}${a.site.line ? ` (${a.site.file}:${a.site.line})` : ''}`;
  return 'start';
}

/**
 * Every schedule of the runner's CPUs with at most `preemptions` context switches (CHESS-style
 * preemption bounding: ordering bugs need few switches, and the number of schedules stays
 * polynomial); `visit` returns false to stop early.
 */
export function explore(runner: Runner, visit: (leaf: Leaf) => boolean | undefined | void, preemptions = Infinity, maxSchedules = 1_000_000): number {
  const stack: number[][] = [[]];
  let count = 0;
  while (stack.length) {
    const prefix = stack.pop()!;
    const { cpus, finish } = runner.start();
    const done = cpus.map(() => false);
    const pending: unknown[] = cpus.map(() => undefined);
    const schedule: number[] = [];
    const log: Leaf['log'] = [];
    let fault: string | undefined;
    const advance = (i: number): void => {
      try {
        const r = cpus[i]!.next();
        if (r.done) done[i] = true;
        else pending[i] = r.value;
      } catch (e) {
        // The C oopsed on this CPU: the run ends here (the kernel would have stopped too).
        if (!(e instanceof CRuntimeFault)) throw e;
        fault = `CPU${i}: ${e.oneLine()}`;
        done.fill(true);
      }
    };
    // Every CPU first runs to its first shared access (local work only, invisible to others).
    for (let i = 0; i < cpus.length; i++) advance(i);
    // Preemptions so far: switches away from a CPU that could have continued.
    let preempted = 0;
    for (let pos = 0; ; pos++) {
      const runnable = done.flatMap((d, i) => (d ? [] : [i]));
      if (runnable.length === 0) break;
      const last = schedule[schedule.length - 1];
      const lastRunnable = last !== undefined && runnable.includes(last);
      let pick: number;
      if (pos < prefix.length) pick = prefix[pos]!;
      else {
        // Default: keep running the CPU that ran last (no preemption), else the lowest.
        pick = lastRunnable ? last! : runnable[0]!;
        for (const alt of runnable) {
          if (alt === pick) continue;
          if (preempted + (lastRunnable ? 1 : 0) <= preemptions) stack.push([...schedule, alt]);
        }
      }
      if (lastRunnable && pick !== last) preempted++;
      schedule.push(pick);
      const p = pending[pick];
      log.push({ cpu: pick, what: describe(p), ...(p && typeof p === 'object' && 'site' in p ? { access: p as Access } : {}) });
      advance(pick);
    }
    const { obs, results } = finish();
    if (fault) obs.fault = fault;
    count++;
    if (visit({ schedule, log, obs, results, key: observationKey(obs, results.flat()) }) === false) break;
    if (count >= maxSchedules) break;
  }
  return count;
}

function specRunner(setupState: ModelState, cpus: Operation[][]): Runner {
  return {
    start() {
      const s = cloneState(setupState);
      const results: (boolean | undefined)[][] = cpus.map(() => []);
      const gens = cpus.map((ops, i) =>
        (function* () {
          for (const op of ops) {
            const r = yield* specOp({ s, fx: [] }, op);
            if (op.op === 'check') results[i]!.push(r.valid);
          }
        })(),
      );
      return { cpus: gens, finish: () => ({ obs: observeModel(s), results }) };
    },
  };
}

function cRunner(setup: CSystem, cpus: Operation[][]): Runner {
  return {
    start() {
      const sys = setup.clone();
      sys.m.lastWrites = new Map();
      const results: (boolean | undefined)[][] = cpus.map(() => []);
      const gens = cpus.map((ops, i) =>
        (function* () {
          for (const op of ops) {
            const r = yield* sys.op(op);
            if (op.op === 'check') results[i]!.push(r.valid);
          }
        })(),
      );
      lastSystem = sys;
      return { cpus: gens, finish: () => ({ obs: sys.observe(), results }) };
    },
  };
}
let lastSystem: CSystem | undefined;

export interface InterleavingDivergence {
  scenario: Scenario;
  /** The C schedule: which CPU made which access, in order. */
  log: { cpu: number; what: string; access?: Access }[];
  schedule: number[];
  contextSwitches: number;
  actual: Observation;
  actualResults: (boolean | undefined)[][];
  /** The allowed final state closest to the C's, and how they differ. */
  nearest: Observation;
  diffs: FieldDiff[];
  /** Last C write of each field during the run ('route 0.peer' -> site). */
  writes: Map<string, import('../ceval/index.ts').Site>;
}

export interface InterleavingResult {
  scenarios: number;
  schedules: number;
  specSchedules: number;
  divergence?: InterleavingDivergence;
}

function switches(schedule: number[]): number {
  let n = 0;
  for (let i = 1; i < schedule.length; i++) if (schedule[i] !== schedule[i - 1]) n++;
  return n;
}

/** Checks one scenario; returns the failing C schedule with the fewest context switches. */
export const DEFAULT_PREEMPTIONS = 3;

export function checkScenario(program: CProgram, era: Era, sc: Scenario, preemptions = DEFAULT_PREEMPTIONS, stage?: Stage): { schedules: number; specSchedules: number; divergence?: InterleavingDivergence } {
  const model = initialState(era, { genid: sc.initialGenid, ...(stage ? { stage } : {}) });
  const c = new CSystem(program, era, sc.initialGenid);
  for (const op of sc.setup) {
    applyInPlace(model, op);
    runOp(c, op);
  }
  const allowed = new Map<string, { obs: Observation; results: (boolean | undefined)[][] }>();
  const specSchedules = explore(specRunner(model, sc.cpus), (leaf) => {
    if (!allowed.has(leaf.key)) allowed.set(leaf.key, { obs: leaf.obs, results: leaf.results });
  });
  let best: InterleavingDivergence | undefined;
  const schedules = explore(cRunner(c, sc.cpus), (leaf) => {
    if (allowed.has(leaf.key)) return;
    const sw = switches(leaf.schedule);
    if (best && best.contextSwitches <= sw) return;
    let nearest: Observation | undefined;
    let nd: FieldDiff[] = [];
    for (const a of allowed.values()) {
      const d = diffObservations(a.obs, leaf.obs);
      const rd = resultDiffs(a.results, leaf.results);
      const all = [...rd, ...d];
      if (!nearest || all.length < nd.length) {
        nearest = a.obs;
        nd = all;
      }
    }
    best = {
      scenario: sc,
      log: leaf.log,
      schedule: leaf.schedule,
      contextSwitches: sw,
      actual: leaf.obs,
      actualResults: leaf.results,
      nearest: nearest!,
      diffs: nd,
      writes: new Map(lastSystem!.m.lastWrites),
    };
  }, preemptions);
  return { schedules, specSchedules, divergence: best };
}

function resultDiffs(exp: (boolean | undefined)[][], act: (boolean | undefined)[][]): FieldDiff[] {
  const out: FieldDiff[] = [];
  exp.forEach((e, cpu) =>
    e.forEach((v, i) => {
      const a = act[cpu]?.[i];
      if (a !== v) out.push({ field: `CPU${cpu} check result`, target: { kind: 'valid' }, expected: v ? 'dst' : 'NULL', actual: a ? 'dst' : 'NULL' });
    }),
  );
  return out;
}

const A = '10.0.0.1';
const B = '10.0.0.2';

/**
 * The races of the protocol: a check or bind against a bump that follows a peer's creation
 * (the bumpers insert the peer, then bump), against a concurrent bind, two binds, two checks,
 * two bumps, a flush; on a fresh, a stale peerless and a stale bound route; at genid 0 and at
 * the wrap.
 */
export function defaultScenarios(era: Era): Scenario[] {
  const fresh: Operation[] = [{ op: 'route_new', rt: 0, daddr: A }];
  const stale: Operation[] = [...fresh, { op: 'bump' }];
  const staleBound: Operation[] = [{ op: 'peer_new', daddr: A }, { op: 'route_new', rt: 0, daddr: A }, { op: 'bump' }];
  const two: Operation[] = [{ op: 'route_new', rt: 0, daddr: A }, { op: 'route_new', rt: 1, daddr: A }, { op: 'bump' }];
  const withPeer: Operation[] = [{ op: 'peer_new', daddr: A }, ...stale];
  const learn: Operation[] = [{ op: 'peer_new', daddr: A }, { op: 'bump' }];
  const pairs: [string, Operation[], Operation[], Operation[][]][] = [
    ['check || peer created then bump', [{ op: 'check', rt: 0 }], learn, [fresh, stale]],
    ['bind || peer created then bump', [{ op: 'bind', rt: 0, create: 0 }], learn, [fresh, stale]],
    ['check || bump', [{ op: 'check', rt: 0 }], [{ op: 'bump' }], [stale, staleBound, withPeer]],
    ['bump || bump', [{ op: 'bump' }], [{ op: 'bump' }], [[]]],
    ['bind(create=1) || bind(create=1)', [{ op: 'bind', rt: 0, create: 1 }], [{ op: 'bind', rt: 0, create: 1 }], [fresh]],
    ['bind(create=0) || bind(create=0)', [{ op: 'bind', rt: 0, create: 0 }], [{ op: 'bind', rt: 0, create: 0 }], [withPeer]],
    ['check || bind(create=1)', [{ op: 'check', rt: 0 }], [{ op: 'bind', rt: 0, create: 1 }], [stale, withPeer]],
    ['check || check', [{ op: 'check', rt: 0 }], [{ op: 'check', rt: 0 }], [withPeer, staleBound]],
    ['check route 0 || check route 1 (same peer)', [{ op: 'check', rt: 0 }], [{ op: 'check', rt: 1 }], [[{ op: 'peer_new', daddr: A }, ...two]]],
    ['bind(create=1) route 0 || bind(create=1) route 1', [{ op: 'bind', rt: 0, create: 1 }], [{ op: 'bind', rt: 1, create: 1 }], [two]],
    ['route created || peer created then bump', [{ op: 'route_new', rt: 1, daddr: A }], learn, [fresh]],
    ['check || flush', [{ op: 'check', rt: 0 }], [{ op: 'flush' }], [withPeer]],
    ['check || route to B created', [{ op: 'check', rt: 0 }], [{ op: 'route_new', rt: 1, daddr: B }], [withPeer]],
  ];
  const out: Scenario[] = [];
  for (const genid of [0, 0xffffffff]) {
    for (const [name, c0, c1, setups] of pairs) {
      if (era === 'pre-genid' && /bump/.test(name) && !/peer created/.test(name)) continue;
      for (const setup of setups) out.push({ name, setup, cpus: [c0, c1], initialGenid: genid });
    }
  }
  // Smallest scenarios first, so that the first divergence found is a small one.
  return out.sort((a, b) => size(a) - size(b));
}

function size(s: Scenario): number {
  return s.setup.length + s.cpus[0].length + s.cpus[1].length;
}

export function checkInterleavings(program: CProgram, era: Era, scenarios = defaultScenarios(era), preemptions = DEFAULT_PREEMPTIONS, stage?: Stage): InterleavingResult {
  const res: InterleavingResult = { scenarios: 0, schedules: 0, specSchedules: 0 };
  for (const sc of scenarios) {
    res.scenarios++;
    const r = checkScenario(program, era, sc, preemptions, stage);
    res.schedules += r.schedules;
    res.specSchedules += r.specSchedules;
    if (r.divergence) {
      res.divergence = r.divergence;
      break;
    }
  }
  return res;
}
