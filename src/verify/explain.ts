/**
 * Turns a raw divergence into what a reviewer reads: the op sequence, the step, expected vs
 * actual, and the C line that made the difference — the last statement of the divergent step
 * that wrote the differing field, or, when the C wrote nothing there, the branch it took.
 */
import type { Operation, OpResult } from '../model/types.ts';
import type { ModelInvariantId } from '../core/invariants.ts';
import { initialState, cloneState } from '../model/state.ts';
import { apply } from '../model/apply.ts';
import { checkInvariants, INVARIANTS } from '../model/invariants.ts';
import { CRuntimeFault, type Site, type TraceEntry } from '../ceval/index.ts';
import { CSystem, GENID_GLOBAL, runOp } from './csystem.ts';
import type { RunnerOptions, SequenceDivergence } from './sequential.ts';
import type { InterleavingDivergence } from './interleave.ts';
import type { FieldDiff, Observation } from './observe.ts';
import { lineText, type VerifySource } from './source.ts';

export type Strategy = 'exhaustive' | 'wrap' | 'random' | 'interleavings';

/** A C location in a report. */
export interface CLine {
  file: string;
  line: number;
  column: number;
  function: string;
  /** The source text of the line. */
  text: string;
  /** Line of the patch file this post-image line came from. */
  patchLine?: number;
  /** True when the line is one the patch added. */
  added?: boolean;
  /** 'wrote': the statement wrote the field; 'branch': the C wrote nothing there and this branch decided it; 'returned'. */
  role: 'wrote' | 'branch' | 'returned' | 'last-statement' | 'declaration' | 'fault' | 'race';
}

export interface Divergence {
  strategy: Strategy;
  initialGenid: number;
  /** Sequence strategies: the operations, the last one diverged. */
  ops: Operation[];
  /** 0-based index in ops of the divergent step (sequence strategies). */
  step: number;
  /** Interleavings: the setup, the two CPUs' operations and the schedule that went wrong. */
  concurrent?: {
    scenario: string;
    setup: Operation[];
    cpus: [Operation[], Operation[]];
    schedule: { cpu: number; what: string }[];
    /** Memory both CPUs touched, at least one with a plain (not atomic) write: where the race is. */
    races: { target: string; accesses: string[] }[];
  };
  /** The first differing field (the one `cLine` explains) and all of them. */
  field: string;
  expected: unknown;
  actual: unknown;
  diffs: FieldDiff[];
  expectedState: Observation;
  actualState: Observation;
  cLine?: CLine;
  /** C lines executed in the divergent step (sequence strategies). */
  executed?: string[];
  /** The model's named invariants the C's step breaks (sequence strategies). */
  violates?: { invariant: ModelInvariantId; description: string; message: string }[];
  /** Length used to pick the shortest: number of operations (setup + both CPUs for interleavings). */
  length: number;
}

export function formatOp(op: Operation): string {
  switch (op.op) {
    case 'route_new':
      return `route_new(rt${op.rt} -> ${op.daddr})`;
    case 'bind':
      return `bind(rt${op.rt}, create=${op.create})`;
    case 'check':
      return `check(rt${op.rt})`;
    case 'peer_new':
      return `peer_new(${op.daddr})`;
    case 'bump':
      return op.times && op.times > 1 ? `bump x${op.times}` : 'bump';
    case 'flush':
      return 'flush';
    case 'route_free':
      return `route_free(rt${op.rt})`;
    case 'pmtu':
      return op.rt !== undefined ? `update_pmtu(rt${op.rt}, ${op.mtu})` : `frag_needed(${op.daddr}, mtu ${op.mtu})`;
    case 'tick':
      return `tick ${op.ticks}`;
    case 'redirect':
      return `redirect(${op.daddr} via ${op.gateway}, from ${op.from})`;
    default:
      return JSON.stringify(op);
  }
}

function toCLine(src: VerifySource, site: Site, role: CLine['role']): CLine | undefined {
  if (site.file === '<harness>') return undefined;
  const l: CLine = { file: site.file, line: site.line, column: site.column, function: site.func, text: lineText(src, site.line), role };
  const p = src.patchLines.get(site.line);
  if (p !== undefined) l.patchLine = p;
  if (src.addedLines.has(site.line)) l.added = true;
  return l;
}

/** The lastWrites key of the memory cell a diff is about. */
function writeKey(sys: CSystem, d: FieldDiff): string | undefined {
  const t = d.target;
  switch (t.kind) {
    case 'route':
      return t.what === 'peer' ? `route ${t.id}.peer` : t.what === 'peerGenid' ? `route ${t.id}.rt_peer_genid` : t.what === 'mtu' ? `route ${t.id}.mtu` : t.what === 'gateway' ? `route ${t.id}.rt_gateway` : undefined;
    case 'genid':
      return sys.genidKind === 'atomic' ? `${GENID_GLOBAL}.counter` : `globals.${GENID_GLOBAL}`;
    case 'peer':
      return t.what === 'pmtu' ? `peer ${t.daddr}.pmtu_expires` : `peer ${t.daddr}.refcnt`;
    default:
      return undefined;
  }
}

/** Picks the diff a C line explains best, and that line. */
function locate(
  src: VerifySource,
  sys: CSystem,
  diffs: FieldDiff[],
  writes: Map<string, Site>,
  trace: TraceEntry[] | undefined,
  harnessBumps: boolean,
): { diff: FieldDiff; cLine?: CLine } {
  for (const d of diffs) {
    const k = writeKey(sys, d);
    const w = k ? writes.get(k) : undefined;
    const l = w && toCLine(src, w, 'wrote');
    if (l) return { diff: d, cLine: l };
    if (d.target.kind === 'genid' && harnessBumps) {
      // Only the harness's bump (what the follow-ups add) writes the counter: the declaration decides how.
      const line = sys.program.globalLine(GENID_GLOBAL);
      if (line) return { diff: d, cLine: toCLine(src, { file: src.file, line, column: 1, func: GENID_GLOBAL }, 'declaration') };
    }
  }
  const d = diffs[0]!;
  if (!trace?.length) return { diff: d };
  if (d.target.kind === 'valid') {
    // The check's own return statement (a `return f();` starts before f's returns).
    const rev = [...trace].reverse();
    const ret = rev.find((e) => e.kind === 'return' && e.site.func === sys.fns.check) ?? rev.find((e) => e.kind === 'return');
    if (ret) return { diff: d, cLine: toCLine(src, ret.site, 'returned') };
  }
  const branch = [...trace].reverse().find((e) => e.kind === 'if-true' || e.kind === 'if-false');
  const e = branch ?? trace[trace.length - 1]!;
  return { diff: d, cLine: toCLine(src, e.site, branch ? 'branch' : 'last-statement') };
}

function describeTrace(src: VerifySource, trace: TraceEntry[]): string[] {
  return trace.map((e) => {
    const tag = e.kind === 'if-true' ? ' [taken]' : e.kind === 'if-false' ? ' [not taken]' : '';
    return `${e.site.file}:${e.site.line} ${e.site.func}: ${lineText(src, e.site.line)}${tag}`;
  });
}

/** Re-runs a sequence divergence with tracing on and explains it. */
export function explainSequence(o: RunnerOptions, src: VerifySource, strategy: Strategy, d: SequenceDivergence): Divergence {
  const sys = new CSystem(o.program, o.era, d.initialGenid);
  // The ops in d are already the applicable ones; replay all but the last silently.
  for (const op of d.ops.slice(0, d.step)) runOp(sys, op);
  sys.m.lastWrites = new Map();
  sys.m.trace = [];
  sys.m.lookups = [];
  let fault: CRuntimeFault | undefined;
  let cValid: boolean | undefined;
  try {
    cValid = runOp(sys, d.ops[d.step]!).valid;
  } catch (e) {
    if (!(e instanceof CRuntimeFault)) throw e;
    fault = e;
  }
  const trace = sys.m.trace;
  sys.m.trace = undefined;
  const violates = fault ? [] : invariantsBroken(o, d, sys, cValid);
  const located = locate(src, sys, d.diffs, sys.m.lastWrites, trace, d.ops[d.step]!.op === 'bump');
  const diff = fault ? d.diffs.find((x) => x.target.kind === 'fault') ?? located.diff : located.diff;
  const cLine = fault ? toCLine(src, fault.site, 'fault') : located.cLine;
  return {
    strategy,
    initialGenid: d.initialGenid,
    ops: d.ops,
    step: d.step,
    field: diff.field,
    expected: diff.expected,
    actual: diff.actual,
    diffs: d.diffs,
    expectedState: d.expected,
    actualState: d.actual,
    cLine,
    executed: describeTrace(src, trace),
    violates,
    length: d.ops.length,
  };
}

/**
 * The model's invariants evaluated on the C's transition: the model's state before the step,
 * and after it the model's state with the C's values in place of the compared fields.
 */
function invariantsBroken(o: RunnerOptions, d: SequenceDivergence, sys: CSystem, cValid: boolean | undefined): NonNullable<Divergence['violates']> {
  let before = initialState(o.era, { genid: d.initialGenid, ...(o.stage ? { stage: o.stage } : {}) });
  for (const op of d.ops.slice(0, d.step)) before = apply(before, op).state;
  const op = d.ops[d.step]!;
  const after = cloneState(apply(before, op).state);
  const obs = sys.observe();
  if (obs.genid !== undefined) after.genid = obs.genid;
  for (const r of after.routes) {
    if (r.freed) continue;
    const c = obs.routes.find((x) => x.id === r.id);
    if (!c) continue;
    r.peer = c.peer;
    r.peerGenid = c.peerGenid;
  }
  for (const k of Object.keys(after.peers)) if (obs.peers[after.peers[k]!.daddr] === undefined) delete after.peers[k];
  for (const [daddr, refcnt] of Object.entries(obs.peers)) {
    const p = after.peers[daddr];
    if (p) p.refcnt = refcnt;
    else after.peers[daddr] = { daddr, pmtuLearned: 0, pmtuExpires: 0, pmtuOrig: 0, redirectLearned: '', refcnt };
  }
  const rt = 'rt' in op ? obs.routes.find((x) => x.id === op.rt) : undefined;
  const result: OpResult = {
    ...(cValid !== undefined ? { valid: cValid } : {}),
    ...(rt ? { peer: rt.peer } : {}),
    effects: (sys.m.lookups ?? []).map((l) => ({
      kind: 'lookup' as const,
      daddr: sys.m.nameOf(l.daddr),
      create: l.create as 0 | 1,
      peer: l.found || l.created ? sys.m.nameOf(l.daddr) : null,
      created: l.created,
      by: op.op === 'check' ? ('check' as const) : op.op === 'route_new' ? ('route_new' as const) : ('bind' as const),
    })),
  };
  return checkInvariants(before, op, after, result).map((v) => ({
    invariant: v.invariant,
    description: INVARIANTS.find((i) => i.name === v.invariant)?.description ?? '',
    message: v.message,
  }));
}

export function explainInterleaving(o: RunnerOptions, src: VerifySource, d: InterleavingDivergence): Divergence {
  const sys = new CSystem(o.program, o.era, d.scenario.initialGenid);
  const sc0 = d.scenario;
  const bumps = [...sc0.cpus[0], ...sc0.cpus[1]].some((op) => op.op === 'bump');
  const located = locate(src, sys, d.diffs, d.writes, undefined, bumps);
  const diff = located.diff;
  let cLine = located.cLine;
  // The ordering bug is where both CPUs touch the same memory and one stores to it plainly.
  const byTarget = new Map<string, { cpu: number; kind: string; site: Site }[]>();
  for (const e of d.log) {
    if (!e.access) continue;
    const list = byTarget.get(e.access.target) ?? [];
    list.push({ cpu: e.cpu, kind: e.access.kind, site: e.access.site });
    byTarget.set(e.access.target, list);
  }
  const races: { target: string; accesses: string[] }[] = [];
  let lastPlainWrite: Site | undefined;
  for (const [target, list] of byTarget) {
    const cpus = new Set(list.map((x) => x.cpu));
    const plainWrites = list.filter((x) => x.kind === 'write');
    if (cpus.size < 2 || plainWrites.length === 0) continue;
    races.push({ target, accesses: list.map((x) => `CPU${x.cpu} ${x.kind} ${x.site.file === '<harness>' ? `(${x.site.func})` : `${x.site.file}:${x.site.line}`}`) });
    const w = plainWrites[plainWrites.length - 1]!.site;
    if (w.file !== '<harness>' && target.endsWith('.peer')) lastPlainWrite = w;
  }
  // A racing plain store to a route's peer explains a leaked reference or a lost peer better
  // than the lookup that took the reference.
  if (lastPlainWrite && (diff.target.kind === 'peer' || (diff.target.kind === 'route' && diff.target.what === 'peer'))) {
    cLine = toCLine(src, lastPlainWrite, 'race') ?? cLine;
  }
  const sc = d.scenario;
  return {
    strategy: 'interleavings',
    initialGenid: sc.initialGenid,
    ops: [...sc.setup, ...sc.cpus[0], ...sc.cpus[1]],
    step: sc.setup.length,
    concurrent: { scenario: sc.name, setup: sc.setup, cpus: sc.cpus, schedule: d.log.map((e) => ({ cpu: e.cpu, what: e.what })), races },
    field: diff.field,
    expected: diff.expected,
    actual: diff.actual,
    diffs: d.diffs,
    expectedState: d.nearest,
    actualState: d.actual,
    cLine,
    length: sc.setup.length + sc.cpus[0].length + sc.cpus[1].length,
  };
}

