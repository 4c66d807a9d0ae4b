/**
 * What replay cannot see: events a CPU lost (a LOST line, a gap) and calls that began before the
 * capture. A judgement that may have depended on them is taken back (Recorder.retract: counted
 * unchecked, never failed); a trace of a correct kernel is never DIVERGENT for what it lost.
 *
 * - The loss window. A CPU loses events after its last event printed before the gap (ftrace
 *   prints the LOST line where that CPU's events resume; other CPUs' events printed in between
 *   ran after the lost ones): what was judged from there to the gap is taken back at the gap.
 * - Settling. A call begun in the lost events ran on the CPU that lost them and may still run
 *   after the gap: what is judged until that CPU has printed SETTLE_EVENTS more events (a route
 *   call prints a handful, and the tasks interleaved with it on that CPU print too) is taken
 *   back then. A loss on a CPU not named settles once every CPU printing since has; the last gap
 *   a reader lists when there are too many (TraceGap.more) never does.
 * - Calls seen only by their return (CanonicalEvent.unpaired) in a context that printed no call
 *   of its own since the start or the loss: the call began before the capture or in the lost
 *   events and ran until that return; what was judged meanwhile is taken back at the end, once
 *   the reader says whether that entry probe fires at all (a map whose entry probe never fires
 *   would otherwise take back everything). A trace that shows it began mid-flight this way also
 *   has its start counted as a loss that settles as above.
 * A judgement's evidence runs from the start of the call it is made in (its context's first
 * event since its last call ended) or the earliest event of the history it cites, to the line it
 * is judged at (Recorder.callStart, FailRecord).
 */
import type { CanonicalEvent, TraceGap } from '../trace/events.ts';
import { eventKey } from '../trace/callctx.ts';
import type { Recorder } from './coverage.ts';

/** Events a CPU prints after losing some before a call begun in the lost ones has surely returned. */
export const SETTLE_EVENTS = 16;
/** Losses waiting to settle at once (past this, the last one waits for every CPU). */
const MAX_UNSETTLED = 64;
/** Contexts remembered at most (forgetting them counts calls as begun unseen: judgements taken back, never made). */
const MAX_CONTEXTS_SEEN = 1 << 15;
/** CPUs kept in an array (beyond: a map). */
const CPU_ARRAY = 4096;

/** Kind flags: printed inside another call; ends its context's call. */
const NESTED = 1;
const ENDS = 2;
/**
 * Lookups and what a check's companions read, a route made by an output lookup: printed inside
 * another call. A check's or a path's return, a flush, a marker, a route freed: end one.
 */
const KIND_FLAGS: ReadonlyMap<string, number> = new Map([
  ['bind', NESTED], ['bind_ret', NESTED], ['peer_new', NESTED], ['peer_pmtu', NESTED], ['route_mtu', NESTED], ['route', NESTED], ['fnhe', NESTED],
  ['check_ret', ENDS], ['genid_bump', ENDS], ['flush', ENDS], ['marker', ENDS], ['route_free', ENDS],
]);

interface Context {
  /** The line of its first event since its last call ended (-1: none yet). */
  start: number;
  /** The loss generation in which it printed a call of its own (a kind not NESTED). */
  topGen: number;
}

interface Unsettled {
  from: number;
  cpu: number | undefined;
  /** Events printed since the loss, per CPU (-1: events that name none). */
  byCpu: Map<number, number>;
  /** CPUs in byCpu that have printed fewer than SETTLE_EVENTS (settled at 0, once one has printed). */
  below: number;
  /** Never settles: the gaps after it were not listed (TraceGap.more). */
  endless?: boolean;
}

interface Span {
  from: number;
  to: number;
  probe: string;
  startOfTrace: boolean;
}

export class Losses {
  private readonly ctxs = new Map<number, Context>();
  /** Incremented at each loss: a context's topGen from before no longer counts. */
  private gen = 0;
  private lastLossFrom = 0;
  /** The line of each CPU's last event (index cpu + 1), where a loss on it can have begun. */
  private readonly lastLine: number[] = [];
  private readonly lastLineFar = new Map<number, number>();
  /** Loss windows (from, to), for the judgements made at the end. */
  private readonly windows: [from: number, to: number][] = [];
  private unsettled: Unsettled[] = [];
  /** Calls seen only by their return, by where their span began and their return probe. */
  private readonly spans = new Map<string, Span>();
  /** Where the trace's start, counted as a loss, settled (undefined: not yet). */
  private startSettledAt: number | undefined;
  private readonly start: Unsettled = { from: 0, cpu: undefined, byCpu: new Map(), below: 0 };

  constructor(private readonly rec: Recorder) {}

  /** Before the checker handles `e`: where its call began, and whether it ends a call begun unseen. */
  before(e: CanonicalEvent): void {
    const k = eventKey(e);
    let c = this.ctxs.get(k);
    if (c === undefined) {
      if (this.ctxs.size >= MAX_CONTEXTS_SEEN) this.ctxs.clear();
      this.ctxs.set(k, (c = { start: -1, topGen: -1 }));
    }
    if (c.start < 0) c.start = e.line;
    this.rec.callStart = c.start;
    this.rec.unseenCall = e.unpaired === 1 && c.topGen !== this.gen;
    this.current = c;
  }

  private current: Context | undefined;

  /** After the checker handled `e`. */
  after(e: CanonicalEvent): void {
    const c = this.current!;
    const flags = KIND_FLAGS.get(e.kind) ?? 0;
    if (flags & ENDS) c.start = -1;
    if ((flags & NESTED) === 0) c.topGen = this.gen;
    const cpu = e.cpu ?? -1;
    if (cpu < CPU_ARRAY) this.lastLine[cpu + 1] = e.line;
    else this.lastLineFar.set(cpu, e.line);
    if (this.rec.unseenCall) {
      this.rec.unseenCall = false;
      this.spanEnds(e.line, e.probe ?? e.kind);
    }
    if (this.startSettledAt === undefined) this.countStart(cpu, e.line);
    if (this.unsettled.length > 0) this.settle(cpu, e.line);
  }

  /** Events lost at `g`: the loss window taken back; returns where the loss may have begun. */
  gap(g: TraceGap): number {
    let from = 0;
    if (g.cpu !== undefined) from = (g.cpu < CPU_ARRAY ? this.lastLine[g.cpu + 1] : this.lastLineFar.get(g.cpu)) ?? 0;
    else {
      // A CPU not named may be any CPU: from the earliest of their last events.
      let min = Number.POSITIVE_INFINITY;
      for (const l of this.lastLine) if (l !== undefined && l < min) min = l;
      for (const l of this.lastLineFar.values()) if (l < min) min = l;
      from = min === Number.POSITIVE_INFINITY ? 0 : min;
    }
    this.lastLossFrom = from;
    this.rec.lossFrom = from;
    this.gen++;
    if (g.more) this.unsettled.push({ from, cpu: undefined, byCpu: new Map(), below: 0, endless: true });
    else if (this.unsettled.length < MAX_UNSETTLED) this.unsettled.push({ from, cpu: g.cpu, byCpu: new Map(), below: 0 });
    else this.unsettled[this.unsettled.length - 1]!.cpu = undefined; // too many at once: the last one waits for every CPU
    this.windows.push([from, g.line]);
    this.rec.retract(from, g.line);
    return from;
  }

  /** Before the checker's own end: losses that never settled reach to the end. */
  beforeFinish(): void {
    for (const u of this.unsettled) this.windows.push([u.from, Number.POSITIVE_INFINITY]);
    this.rec.retractWindows(this.unsettled.map((u) => [u.from, Number.POSITIVE_INFINITY] as const));
    this.unsettled = [];
  }

  /**
   * After the checker's end: what it judged only then (failures logged from `since`) against the
   * loss windows, and every judgement against the spans of calls begun unseen whose entry probe
   * fires in the trace (`entryNeverFired`: those whose entry probe never does).
   */
  afterFinish(since: number, entryNeverFired: readonly string[]): void {
    this.rec.retractWindows(this.windows, since);
    const never = new Set(entryNeverFired);
    const spans = [...this.spans.values()].filter((sp) => !never.has(sp.probe));
    const windows: (readonly [number, number])[] = spans.map((sp) => [sp.from, sp.to] as const);
    if (spans.some((sp) => sp.startOfTrace)) windows.push([0, (this.startSettledAt ?? Number.POSITIVE_INFINITY) + 1]);
    this.rec.retractWindows(windows);
  }

  private spanEnds(line: number, probe: string): void {
    const key = `${this.lastLossFrom}|${probe}`;
    const s = this.spans.get(key);
    if (s) s.to = Math.max(s.to, line + 1);
    else this.spans.set(key, { from: this.lastLossFrom, to: line + 1, probe, startOfTrace: this.windows.length === 0 });
  }

  private countStart(cpu: number, line: number): void {
    if (count(this.start, cpu)) this.startSettledAt = line;
  }

  private settle(cpu: number, line: number): void {
    for (let i = 0; i < this.unsettled.length; i++) {
      const u = this.unsettled[i]!;
      if (u.endless || (u.cpu !== undefined && u.cpu !== cpu)) continue;
      if (!count(u, cpu)) continue;
      this.rec.retract(u.from, line + 1);
      this.windows.push([u.from, line + 1]);
      this.unsettled.splice(i--, 1);
    }
  }
}

/** One more event of `cpu` since the loss; true once every CPU printing since has printed SETTLE_EVENTS. */
function count(u: Unsettled, cpu: number): boolean {
  const n = (u.byCpu.get(cpu) ?? 0) + 1;
  u.byCpu.set(cpu, n);
  if (n === 1) u.below++;
  if (n === SETTLE_EVENTS) u.below--;
  return u.below === 0;
}
