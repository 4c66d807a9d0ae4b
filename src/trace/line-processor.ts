/**
 * LineProcessor: one trace's lines, read in order. An ftrace event line of ASCII input is taken
 * apart as bytes (parseEventBytes) and given to its probe's plan (Emitter.handleBytes); every
 * other line becomes a string and goes by format: JSON lines, bpftrace records, or ftrace-like
 * text (events by their plans, markers, unplanned events, and the lines that are not events,
 * other-lines.ts). Counts what it skips, and why, into the trace's statistics as it goes.
 */
import { entryNeverFired } from './read-stats.ts';
import type { CanonicalEvent, TraceGap } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import type { SkipKind, TraceFormat, TraceReadStats } from './types.ts';
import { badInput } from '../core/errors.ts';
import type { CompiledMap, ProbePlan } from './plan.ts';
import type { PlanIndex } from './plan-index.ts';
import { Emitter, Outcome } from './emit.ts';
import { Ev } from './ev.ts';
import { countName } from './counters.ts';
import { LineShape, latin1, newParsedLine, parseBareEvent, parseEventBytes, parseEventLine, type ParsedLine } from './lineparse.ts';
import { MARKER, planOfUnplanned } from './event-names.ts';
import { ownString } from './decode.ts';
import { parseBpftraceLine, parseJsonEvent } from './jsonl.ts';
import type { PrinterAdapter } from './printers.ts';
import { LineCutter, MAX_LINE } from './line-cutter.ts';
import { OtherLines, type LineContext } from './other-lines.ts';
import { newLineScanner, type LineScanner, type ScannedLines } from './wasm/scanner.ts';

const MAX_MALFORMED_REASONS = 20;
/** Gaps listed per trace (garbage input cannot grow memory); more are counted in a warning. */
export const MAX_GAPS = 100_000;
const MARKER_KIND = EVENT_KINDS.indexOf('marker');

/** Per-format line dispatch and counting. */
export class LineProcessor extends LineCutter implements LineContext, ScannedLines {
  private readonly pl: ParsedLine = newParsedLine();
  private readonly emitter: Emitter;
  private readonly plans: Map<string, ProbePlan>;
  private readonly index: PlanIndex;
  /** Events the processor makes itself (markers, JSONL), by kind index. */
  private readonly ownKinds: number[] = EVENT_KINDS.map(() => 0);
  private readonly malformedReasons: string[] = [];
  private readonly unknown = new Map<string, number>();
  private readonly markerHits = new Map<string, number>();
  private lineNo = 0;
  private eventLines = 0;
  private out: CanonicalEvent[] = [];
  /** Lines that are not events (headers, the capture protocol, lost events, noise). */
  private readonly other: OtherLines;

  constructor(
    readonly file: string,
    private readonly format: TraceFormat,
    private readonly cm: CompiledMap,
    readonly st: TraceReadStats,
    private readonly maxLines: number,
    textPath = false,
    private readonly adapter?: PrinterAdapter,
  ) {
    super();
    this.emitter = new Emitter(cm, file);
    this.plans = cm.plans;
    this.index = cm.index;
    this.other = new OtherLines(this, format === 'serial' || format === 'unknown');
    this.fastFormat = format !== 'jsonl' && format !== 'bpftrace' && !textPath && adapter === undefined;
    this.scanner = this.fastFormat ? newLineScanner() : undefined;
  }

  /** The compiled scanner (wasm/scanner.ts) cutting and taking apart the lines, unless the JavaScript cutter does. */
  private readonly scanner: LineScanner | undefined;

  /** Lines the byte fast path may take (ftrace-like text; JSON and bpftrace go as text). */
  private readonly fastFormat: boolean;

  /** Process one chunk of input bytes (any boundaries). Returns the events of its complete lines. */
  chunk(buf: Buffer): CanonicalEvent[] {
    this.out = [];
    if (this.scanner) this.scanner.chunk(buf, this);
    else this.cut(buf);
    return this.out;
  }

  /**
   * End of input. A last line without its newline may have been cut in the middle of a value
   * (`peer=ffff8800` of a longer pointer): it is not read, and the warning names it. Every line
   * the kernel writes ends with a newline, so a whole trace loses nothing.
   */
  end(): CanonicalEvent[] {
    this.out = [];
    if (this.scanner) this.scanner.end(this);
    else this.cutEnd();
    return this.out;
  }

  unfinishedLine(line: Buffer): void {
    const lineNo = ++this.lineNo;
    if (line.toString('latin1').trim() !== '') {
      this.skip('cut', lineNo);
      this.st.warnings.push(`line ${lineNo}: the input ends in the middle of this line (no newline): not read`);
    } else this.skip('blank', lineNo);
  }

  /** One line buf[a..e) (without its newline). */
  line(buf: Buffer, a: number, e: number, ascii: boolean): void {
    const lineNo = ++this.lineNo;
    if (e > a && buf[e - 1] === 13) e--;
    if (e === a) return this.skip('blank', lineNo);
    if (ascii && this.fastFormat) {
      const c0 = buf[a];
      if (c0 !== 35 /* # */ && c0 !== 64 /* @ */ && this.other.refusal === undefined && !this.other.inDynamicEvents && parseEventBytes(buf, a, e, this.pl) && this.byteEvent(lineNo)) return;
    }
    this.generalLine(buf, a, e, ascii, lineNo);
  }

  /** A line the compiled scanner took apart (ASCII, not `#`/`@`, no CR): as line() goes on after parseEventBytes. */
  scannedEvent(buf: Buffer, a: number, e: number): void {
    const lineNo = ++this.lineNo;
    if (this.other.refusal === undefined && !this.other.inDynamicEvents) {
      this.scanner!.fill(this.pl);
      if (this.byteEvent(lineNo)) return;
    }
    this.generalLine(buf, a, e, true, lineNo);
  }

  /** The event in this.pl (taken apart from bytes) through its plan; false when no plan has its name. */
  private byteEvent(lineNo: number): boolean {
    const pl = this.pl;
    const plan = this.index.findBytes(pl.buf!, pl.base + pl.evStart, pl.base + pl.evEnd, pl.evHash);
    if (plan === undefined) return false;
    this.outcome(this.emitter.handleBytes(lineNo, pl, plan, this.out), lineNo);
    return true;
  }

  /** Everything else as text: the general path. */
  private generalLine(buf: Buffer, a: number, e: number, ascii: boolean, lineNo: number): void {
    const s = ascii ? latin1(buf, a, e) : buf.toString('utf8', a, e);
    if (this.format === 'jsonl') this.jsonLine(s, lineNo);
    else if (this.format === 'bpftrace') this.bpftraceLine(s, lineNo);
    else this.textLine(s, lineNo);
  }

  /** An overlong line (no newline within MAX_LINE characters) was dropped. */
  longLine(): void {
    this.skip('malformed', ++this.lineNo, `line longer than ${MAX_LINE} characters`);
  }

  skip(kind: SkipKind, lineNo: number, reason?: string): void {
    // Straight into the stats (they are live while reading).
    const c = this.st.skipped[kind];
    c.count++;
    if (c.lines.length < this.maxLines) {
      c.lines.push(lineNo);
      if (kind === 'malformed' && this.malformedReasons.length < MAX_MALFORMED_REASONS) this.malformedReasons.push(reason ?? 'unrecognised line');
    }
  }

  private textLine(s: string, lineNo: number): void {
    const c0 = s.charCodeAt(0);
    const other = this.other;
    if (other.refusal !== undefined && other.refusalLine(s, lineNo)) return;
    if (c0 === 35 /* # */) return other.headerLine(s, lineNo);
    if (c0 === 64 /* @ */ && s.charCodeAt(1) === 64) return other.serialLine(s, lineNo);
    if (other.inDynamicEvents) return other.dynamicEventLine(s, lineNo);
    const shape = this.adapter ? this.adapter.parse(s, this.pl) : parseEventLine(s, this.pl);
    if (shape === LineShape.Event) {
      if (this.adapter?.lastCallerUnresolved) return this.unresolvedCallerLine(lineNo);
      return this.eventLine(this.pl.s, lineNo);
    }
    if (shape === LineShape.StackTrace) return this.skip('stacktrace', lineNo);
    if (shape === LineShape.OtherTracer) return this.skip('otherTracer', lineNo);
    other.otherLine(s, lineNo);
  }

  private eventLine(s: string, lineNo: number): void {
    const pl = this.pl;
    const plan = this.index.find(s, pl.evStart, pl.evEnd);
    if (plan !== undefined) {
      this.outcome(this.emitter.handle(s, lineNo, pl, plan, this.out), lineNo);
      return;
    }
    this.unplannedEvent(s, lineNo);
  }

  /**
   * A return whose caller is an address no symbol names. When no rule needed the caller, the line
   * is read as usual. When the map needed it, the line's events cannot be derived, and leaving
   * them out is not safe: replay would judge the calls around them as if nothing had happened
   * there (a check "without its lookup"), and a lost-events gap in the middle of a PMTU/redirect
   * path is not yet judged safely either. So the input is refused, with the line and the remedy.
   */
  private unresolvedCallerLine(lineNo: number): void {
    const before = this.st.skipped.unmatched.count;
    this.eventLine(this.pl.s, lineNo);
    if (this.st.skipped.unmatched.count > before) {
      throw badInput(
        `the caller of this ${this.pl.event} return is printed as an address and the probe map needs it to tell what the call was: ` +
          'give the kernel symbols of the traced boot (replay --symbols System.map or a copy of /proc/kallsyms)',
        { file: this.file, line: lineNo },
      );
    }
  }

  private outcome(o: Outcome, lineNo: number): void {
    switch (o) {
      case Outcome.Emitted:
        this.eventLines++;
        return;
      case Outcome.Paired:
        return this.skip('paired', lineNo);
      case Outcome.Ignored:
        return this.skip('ignored', lineNo);
      case Outcome.Filtered:
        return this.skip('filtered', lineNo);
      case Outcome.Unmatched:
        return this.skip('unmatched', lineNo);
    }
  }

  /** An event no plan has by its plain name: a marker, a plan by another spelling (event-names.ts), or an unknown probe. */
  private unplannedEvent(s: string, lineNo: number): void {
    const pl = this.pl;
    const name = pl.event;
    const plan = planOfUnplanned(s, name, pl, this.cm);
    if (plan === MARKER) {
      this.marker(s, lineNo, name);
      this.eventLines++;
    } else if (plan !== undefined) this.outcome(this.emitter.handle(s, lineNo, pl, plan, this.out), lineNo);
    else {
      countName(this.unknown, name);
      this.skip('unknownEvent', lineNo);
    }
  }

  private marker(s: string, lineNo: number, name: string): void {
    const pl = this.pl;
    this.markerHits.set(name, (this.markerHits.get(name) ?? 0) + 1);
    let text = s.slice(pl.body);
    if (text.startsWith('tracing_mark_write: ')) text = text.slice(20);
    const ev = new Ev('marker', this.file, lineNo);
    if (pl.ts === pl.ts) ev.ts = pl.ts;
    if (pl.cpu >= 0) ev.cpu = pl.cpu;
    if (pl.taskStart >= 0) ev.task = this.emitter.taskOf(pl);
    if (pl.pid >= 0) ev.pid = pl.pid;
    ev.probe = name;
    ev.text = ownString(text);
    this.ownKinds[MARKER_KIND]++;
    this.out.push(ev);
  }

  gap(g: TraceGap): void {
    if (this.st.gaps.length < MAX_GAPS) this.st.gaps.push(g);
    else if (this.st.gaps.length === MAX_GAPS) {
      this.st.gaps.push({ ...g, count: undefined, more: true });
      this.st.warnings.push(`more than ${MAX_GAPS} gaps: the rest are not listed (line ${g.line} on)`);
    }
    this.emitter.reset();
  }

  private jsonLine(s: string, lineNo: number): void {
    if (s.trim() === '') return this.skip('blank', lineNo);
    const r = parseJsonEvent(s, this.file, lineNo);
    if (typeof r === 'string') return this.skip('malformed', lineNo, r);
    this.ownKinds[EVENT_KINDS.indexOf(r.kind)]++;
    this.eventLines++;
    this.out.push(r);
  }

  private bpftraceLine(s: string, lineNo: number): void {
    if (s.trim() === '') return this.skip('blank', lineNo);
    const r = parseBpftraceLine(s);
    switch (r.type) {
      case 'header':
        return this.skip('header', lineNo);
      case 'malformed':
        return this.skip('malformed', lineNo, r.reason);
      case 'lost':
        this.gap({ file: this.file, line: lineNo, count: r.count, reason: 'bpftrace' });
        return this.skip('lost', lineNo);
      case 'printf': {
        // One record may hold several lines; each must be `EVENT: args` or a full ftrace line.
        const before = this.out.length;
        let any = false;
        for (const part of r.text.split('\n')) {
          if (!part.trim()) continue;
          if (parseEventLine(part, this.pl) === LineShape.Event || parseBareEvent(part, this.pl) === LineShape.Event) {
            any = true;
            const plan = this.plans.get(this.pl.event);
            if (plan) this.emitter.handle(part, lineNo, this.pl, plan, this.out);
            else if (this.cm.markers.has(this.pl.event)) this.marker(part, lineNo, this.pl.event);
            else countName(this.unknown, this.pl.event);
          }
        }
        if (this.out.length > before) this.eventLines++;
        else this.skip(any ? 'unknownEvent' : 'malformed', lineNo, any ? undefined : 'printf text is not `event: name=value ...`');
        return;
      }
    }
  }

  /** Update stats with a batch (counts by kind) and the running skip counts. */
  flushStats(batch: CanonicalEvent[]): void {
    const st = this.st;
    const byKind = st.eventsByKind;
    const a = this.emitter.kindCounts;
    const b = this.ownKinds;
    for (let i = 0; i < EVENT_KINDS.length; i++) byKind[EVENT_KINDS[i]!] = a[i]! + b[i]!;
    st.events += batch.length;
    st.lines = this.lineNo;
    st.eventLines = this.eventLines;
    if (this.malformedReasons.length) st.skipped.malformed.reasons = this.malformedReasons.slice();
    st.unpairedReturns = this.emitter.unpairedReturns;
  }

  /**
   * For the chunked reader (parallel/chunks): number the next line `line` (a chunk read from the
   * middle of a file), and what the processor carries from line to line and counts.
   */
  startAtLine(line: number): void {
    this.lineNo = line - 1;
  }

  get chunkState(): ChunkProcessorState {
    return {
      emitter: this.emitter, other: this.other, unknown: this.unknown, markerHits: this.markerHits,
      malformedReasons: this.malformedReasons, lineNo: this.lineNo,
    };
  }

  finish(): void {
    const st = this.st;
    st.lines = this.lineNo;
    st.unknownEvents = Object.fromEntries([...this.unknown].sort((a, b) => b[1] - a[1]));
    st.unmatched = Object.fromEntries([...this.emitter.unmatched].sort((a, b) => b[1] - a[1]));
    const hits: Record<string, number> = {};
    for (const p of this.plans.values()) if (p.hits) hits[p.name] = p.hits;
    for (const p of this.cm.funcPlans.values()) if (p.hits) hits[p.name] = (hits[p.name] ?? 0) + p.hits;
    for (const [k, n] of this.markerHits) hits[k] = (hits[k] ?? 0) + n;
    for (const [k, n] of this.unknown) hits[k] = (hits[k] ?? 0) + n;
    st.probeHits = hits;
    st.entryNeverFired = entryNeverFired([...this.plans.values(), ...this.cm.funcPlans.values()], hits);
    this.flushStats([]);
  }
}

/** LineProcessor.chunkState: the state and raw counters a chunk's reading carries or reports. */
export interface ChunkProcessorState {
  emitter: Emitter;
  other: OtherLines;
  unknown: ReadonlyMap<string, number>;
  markerHits: ReadonlyMap<string, number>;
  malformedReasons: readonly string[];
  lineNo: number;
}
