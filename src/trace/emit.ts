/**
 * The Emitter: turns a trace's probe lines into canonical events by their plans (plan.ts). Per
 * line: the views of its args (from its bytes by the plan's generated decoder, or from its text),
 * its caller, pairing of entries and returns per call context, the first rule that matches, and
 * that rule's events. One per trace file: it keeps the open calls.
 */
import type { CanonicalEvent } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import { internString } from './decode.ts';
import { latin1, type ParsedLine } from './lineparse.ts';
import { callKey, irqLevelOfLine } from './callctx.ts';
import { Ev } from './ev.ts';
import type { CompiledMap, OpenCalls, PendingCall, ProbePlan, ViewValue } from './plan.ts';
import { callerHash } from './callers.ts';
import { conditionHolds } from './conditions.ts';
import { decodeView } from './views.ts';
import { extractArgs, extractByLayout } from './tokenize.ts';
import { decodeByKnownLayout, learnLayout } from './layout.ts';
import { countName } from './counters.ts';

/** The open calls of an Emitter as data: per entry probe, per call context, its stack (innermost last). */
export type OpenCallsState = [probe: string, tasks: [taskKey: number, stack: PendingCall[]][]][];

/** What the emitter did with one probe line. */
export enum Outcome { Emitted, Paired, Ignored, Unmatched, Filtered }

const MAX_STACK = 64;
export const MAX_TASKS = 1 << 15;

/**
 * Stateful: keeps the open calls per entry probe and task. One per trace file.
 */
export class Emitter implements OpenCalls {
  private readonly pending = new Map<string, Map<number, PendingCall[]>>();
  /** The same tables by ProbePlan.entryId (pairing reads them for every paired line). */
  private open: (Map<number, PendingCall[]> | undefined)[] = [];
  unpairedReturns = 0;
  /** Events emitted by kind (index: EVENT_KINDS order). */
  readonly kindCounts: number[] = EVENT_KINDS.map(() => 0);
  /** `probe <- caller` of unmatched lines. */
  readonly unmatched = new Map<string, number>();
  private vals: (string | undefined)[] = [];

  constructor(readonly cm: CompiledMap, readonly file: string) {}

  /** Forget open calls (after a gap: their returns may be lost). */
  reset(): void {
    if (this.keysSeen) this.retireKeys();
    this.pending.clear();
    this.open = [];
  }

  /**
   * Handle one parsed probe line. Pushes events to `out`. `s` is the line text, `pl` its parse.
   */
  handle(s: string, lineNo: number, pl: ParsedLine, p: ProbePlan, out: CanonicalEvent[]): Outcome {
    p.hits++;
    // A probe the map only ignores (dst_release: a quarter of a modern trace): nothing to read.
    if (p.passive) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    // 1. Args this plan needs, decoded into its views.
    const n = p.nargs;
    let vals = this.vals;
    if (vals.length < n) vals = this.vals = new Array(n);
    for (let i = 0; i < n; i++) vals[i] = undefined;
    if (n > 0 && !(p.layoutKey !== undefined && extractByLayout(s, pl.args, p, vals))) {
      for (let i = 0; i < n; i++) vals[i] = undefined;
      learnLayout(s, pl.args, p);
      extractArgs(s, pl.args, p.keys, vals);
    }
    const views = p.views;
    const vv = p.vv;
    for (let i = 0; i < views.length; i++) {
      const raw = vals[views[i]!.slot];
      vv[i] = raw === undefined ? undefined : decodeView(raw, views[i]!);
    }
    // 2. Caller (return probes).
    if (pl.arrow === -1) return this.apply(lineNo, pl, p, vv, undefined, undefined, false, out);
    const callers = p.callers;
    const len = pl.arrow - pl.symStart;
    if (!callers.findText(s, pl.symStart, len)) {
      const raw = s.slice(pl.symStart, pl.arrow);
      callers.add(raw, callerHash(raw));
    }
    return this.apply(lineNo, pl, p, vv, callers.text, callers.sym, callers.text === undefined, out);
  }

  /**
   * handle() for a line parsed from bytes (parseEventBytes: pl.buf set, positions relative to
   * pl.base): the views are decoded straight from the bytes; a line that does not fit the
   * probe's learned layout is cut out as text and read the general way.
   */
  handleBytes(lineNo: number, pl: ParsedLine, p: ProbePlan, out: CanonicalEvent[]): Outcome {
    if (p.passive) {
      p.hits++;
      return p.ignored ? Outcome.Ignored : Outcome.Paired;
    }
    const buf = pl.buf!;
    const base = pl.base;
    if (p.nargs > 0) {
      const decode = p.decode;
      if ((decode === undefined || !decode(buf, base + pl.args, base + pl.len, p.vv)) && !decodeByKnownLayout(p, buf, base + pl.args, base + pl.len)) {
        // Cut the line out: from here on it is read as text (and the layout learned again).
        return this.handle(pl.s, lineNo, pl, p, out);
      }
    }
    p.hits++;
    if (pl.arrow === -1) return this.apply(lineNo, pl, p, p.vv, undefined, undefined, false, out);
    // Callers repeat: found by the hash parseEventBytes computed, then by their bytes.
    const callers = p.callers;
    const from = base + pl.symStart;
    if (!callers.findBytes(buf, from, pl.arrow - pl.symStart, pl.callerHash)) callers.add(latin1(buf, from, base + pl.arrow), pl.callerHash);
    return this.apply(lineNo, pl, p, p.vv, callers.text, callers.sym, callers.text === undefined, out);
  }

  /** Pairing, rules and emission, once the line's views and caller are known. */
  private apply(
    lineNo: number, pl: ParsedLine, p: ProbePlan, vv: ViewValue[],
    callerText: string | undefined, callerSym: string | undefined, unknownCaller: boolean, out: CanonicalEvent[],
  ): Outcome {
    // Entries and returns pair per call context (callctx.ts: pid; CPU for pid 0; CPU and level in an interrupt).
    const irq = pl.flagsStart < 0 ? 0 : irqLevelOfLine(pl);
    const taskKey = callKey(pl.pid, pl.cpu, irq);
    let lineTs = NaN;
    let tsDone = false;
    // 3. Pairing.
    let call: PendingCall | undefined;
    let unpaired = false;
    if (p.returnOf !== undefined) {
      const stack = (p.returnOfId >= 0 ? this.open[p.returnOfId] : this.pending.get(p.returnOf))?.get(taskKey);
      if (stack?.length) {
        // A return with an unknown caller is a duplicate return probe: it reads the call, the
        // return that names its caller closes it.
        call = unknownCaller ? stack[stack.length - 1] : stack.pop();
      } else if (!unknownCaller) {
        this.unpairedReturns++;
        // The call began before the trace or in lost events (or its entry probe never fires:
        // the reader's statistics say which, entryNeverFired).
        unpaired = true;
      }
    }
    if (p.withinOf.length) {
      for (const e of p.withinOf) {
        const stack = this.pending.get(e)?.get(taskKey);
        const top = stack?.[stack.length - 1];
        if (top) (top.within ??= new Map()).set(p.name, vv.slice());
      }
    }
    if (p.isEntry) {
      let byTask = p.entryId >= 0 ? this.open[p.entryId] : this.pending.get(p.name);
      if (!byTask) {
        this.pending.set(p.name, (byTask = new Map()));
        if (p.entryId >= 0) this.open[p.entryId] = byTask;
      }
      let stack = byTask.get(taskKey);
      if (!stack) {
        if (byTask.size >= MAX_TASKS) {
          byTask.clear();
          this.taskTableClears++;
        }
        byTask.set(taskKey, (stack = []));
      }
      if (stack.length >= MAX_STACK) stack.shift();
      lineTs = pl.ts;
      tsDone = true;
      stack.push({ vv: vv.slice(), line: lineNo, ts: lineTs, within: undefined });
    }
    // 4. Rules.
    const rules = p.rules;
    if (rules.length === 0) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    let filtered = false;
    // A caller printed as a bare address (no symbols for it, printers.ts) cannot be told apart:
    // the first rule that depends on the caller ends the match (a later rule would be a guess).
    const unresolved = callerSym !== undefined && callerSym.charCodeAt(0) === 48 && callerSym.charCodeAt(1) === 120;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (unresolved && (rule.callers || rule.callerNot || rule.unknownCaller)) break;
      if (rule.callerNot && callerSym !== undefined && rule.callerNot.has(callerSym)) continue;
      if (rule.callers || rule.anyKnownCaller || rule.unknownCaller) {
        const ok = unknownCaller
          ? rule.unknownCaller
          : callerSym !== undefined && (rule.anyKnownCaller || (rule.callers?.has(callerSym)));
        if (!ok) continue;
      }
      let pass = true;
      const conds = rule.conds;
      for (let c = 0; c < conds.length; c++) {
        if (!conditionHolds(conds[c]!, vv, call, this, taskKey, pl, callerText)) {
          pass = false;
          break;
        }
      }
      if (!pass) {
        filtered = true;
        continue;
      }
      const emits = rule.emits;
      if (emits.length === 0) return Outcome.Ignored;
      if (!tsDone) lineTs = pl.ts;
      const task = pl.taskStart >= 0 ? this.taskOf(pl) : undefined;
      const cpu = pl.cpu >= 0 ? pl.cpu : undefined;
      const pid = pl.pid >= 0 ? pl.pid : undefined;
      for (let k = 0; k < emits.length; k++) {
        const e = emits[k]!;
        const at = e.atEntry && call !== undefined;
        const ts = at ? call!.ts : lineTs;
        const ev = new Ev(e.kind, this.file, at ? call!.line : lineNo, ts === ts ? ts : undefined, cpu, task, pid, p.name, unresolved ? undefined : callerText);
        if (irq > 0) ev.irq = irq;
        if (unpaired) ev.unpaired = 1;
        this.kindCounts[e.kindId]++;
        e.fill(ev, vv, call, this, taskKey, callerText, pl);
        out.push(ev);
      }
      return Outcome.Emitted;
    }
    if (filtered) return Outcome.Filtered;
    const key = callerSym !== undefined ? `${p.name} <- ${callerSym}` : unknownCaller ? `${p.name} <- [unknown]` : p.name;
    countName(this.unmatched, key);
    return Outcome.Unmatched;
  }

  private lastTask = '';
  /** The line's task name, interned; consecutive lines mostly share it. */
  taskOf(pl: ParsedLine): string {
    const len = pl.taskEnd - pl.taskStart;
    const last = this.lastTask;
    const buf = pl.buf;
    if (buf !== undefined) {
      if (last.length === len) {
        const from = pl.base + pl.taskStart;
        let k = len - 1;
        while (k >= 0 && last.charCodeAt(k) === buf[from + k]) k--;
        if (k < 0) return last;
      }
      return (this.lastTask = internString(latin1(buf, pl.base + pl.taskStart, pl.base + pl.taskEnd)));
    }
    if (last.length === len && pl.s.startsWith(last, pl.taskStart)) return last;
    return (this.lastTask = internString(pl.s.slice(pl.taskStart, pl.taskEnd)));
  }

  // ---- Carry-over state, for the chunked reader (parallel/chunks): a chunk read from the middle
  // of a trace starts from the open calls the lines before it left.

  /** Times a task table was full and cleared (a reader that did not clear then would differ). */
  taskTableClears = 0;
  /** Call contexts ever given a table entry, per entry probe (kept only when asked: trackTaskKeys). */
  private keysSeen: Map<string, Set<number>> | undefined;

  /** Start keeping every call context's key (the entries no open call holds any more count toward MAX_TASKS). */
  trackTaskKeys(): void {
    this.keysSeen ??= new Map();
  }

  private retireKeys(): void {
    for (const [name, byTask] of this.pending) {
      let seen = this.keysSeen!.get(name);
      if (!seen) this.keysSeen!.set(name, (seen = new Set()));
      for (const k of byTask.keys()) seen.add(k);
    }
  }

  /** The call contexts given a table entry so far, per entry probe (with trackTaskKeys). */
  taskKeysSeen(): Map<string, Set<number>> {
    if (this.keysSeen) this.retireKeys();
    return this.keysSeen ?? new Map();
  }

  /**
   * The open calls, canonically ordered (probe name, then context key), as plain data that
   * structured clone carries. Contexts with no open call are left out unless `emptyToo`: they are
   * seen only by the MAX_TASKS bound, which the chunked reader checks apart.
   */
  openCalls(emptyToo = false): OpenCallsState {
    const probes: OpenCallsState = [];
    for (const name of [...this.pending.keys()].sort()) {
      const byTask = this.pending.get(name)!;
      const tasks: [number, PendingCall[]][] = [];
      for (const k of [...byTask.keys()].sort((a, b) => a - b)) {
        const stack = byTask.get(k)!;
        if (stack.length || emptyToo) tasks.push([k, stack.map((c) => ({ vv: c.vv.slice(), line: c.line, ts: c.ts, within: c.within && new Map(c.within) }))]);
      }
      if (tasks.length || emptyToo) probes.push([name, tasks]);
    }
    return probes;
  }

  /** Take over the open calls of another reader of the same map (openCalls()); the tables before are dropped. */
  restoreOpenCalls(state: OpenCallsState): void {
    this.pending.clear();
    this.open = [];
    const entryIds = new Map<string, number>();
    for (const p of [...this.cm.plans.values(), ...this.cm.funcPlans.values()]) if (p.entryId >= 0) entryIds.set(p.name, p.entryId);
    for (const [name, tasks] of state) {
      const byTask = new Map<number, PendingCall[]>();
      for (const [k, stack] of tasks) byTask.set(k, stack.map((c) => ({ vv: c.vv.slice(), line: c.line, ts: c.ts, within: c.within && new Map(c.within) })));
      this.pending.set(name, byTask);
      const id = entryIds.get(name);
      if (id !== undefined) this.open[id] = byTask;
    }
  }

  /** The decoded views of the innermost open call of `probe` on this task (context.PROBE.arg). */
  contextViews(probe: string, taskKey: number): ViewValue[] | undefined {
    const stack = this.pending.get(probe)?.get(taskKey);
    return stack?.length ? stack[stack.length - 1]!.vv : undefined;
  }
}
