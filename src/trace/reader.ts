/**
 * openTrace(): the streaming reader. Bytes arrive in 64 KB pieces (a regular file is read ahead
 * into two alternating buffers); lines are cut at '\n' bytes. The usual ftrace event line of
 * ASCII input never becomes a string: parseEventBytes takes its columns apart (hashing the name
 * and the caller on the way), the probe plan is found by the name's hash and bytes, and
 * Emitter.handleBytes runs the plan's generated decoder, which decodes the values the events
 * need straight from the bytes. Every other line (headers, markers, serial lines, JSON, bpftrace, non-ASCII text, odd
 * layouts) is decoded and goes through the general text path, which gives the same results
 * (test/trace/bytepath.test.ts). Memory is bounded by the read buffer, the sniff window (1 MB),
 * the open-call tables and the intern table.
 *
 * Format and probe map are decided on the first 1 MB (the sniff window), which is then
 * processed like the rest.
 */
import type { CanonicalEvent, TraceGap } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import type {
  OpenTraceOptions, ProbeMapChoice, SkipKind, TraceFormat, TraceReadStats, TraceReader, ProbeRefusal,
} from './types.ts';
import { badInput } from '../core/errors.ts';
import type { ProbeMap } from './probemap.ts';
import { builtinProbeMaps, selectProbeMap } from './maps/index.ts';
import type { CompiledMap, ProbePlan } from './plan.ts';
import type { PlanIndex } from './plan-index.ts';
import { compileMap } from './compile-map.ts';
import { Emitter, Outcome } from './emit.ts';
import { Ev } from './ev.ts';
import { countName } from './counters.ts';
import { emptyStats } from './read-stats.ts';
import { LineShape, latin1, newParsedLine, parseBareEvent, parseEventBytes, parseEventLine, type ParsedLine } from './lineparse.ts';
import { isAscii } from 'node:buffer';
import { ownString } from './decode.ts';
import { openSource, type TextSource } from './source.ts';
import { detectFormat, probeDefName, sniffProbeNames } from './detect.ts';
import { parseBpftraceLine, parseJsonEvent } from './jsonl.ts';
import { openExternal, sniffBinaryTrace, type ExternalTrace } from './external.ts';
import { setupPrinter } from './printer-setup.ts';
import type { PrinterAdapter } from './printers.ts';
import { Symbols } from './symbols.ts';

const SNIFF_CHARS = 1 << 20;

const EMPTY_MAP: ProbeMap = { name: 'none', source: 'none', rules: [] };

/** Open a trace for reading. Throws PeerpropError (exit 2) only when the input cannot be read. */
export async function openTrace(path: string, opts: OpenTraceOptions = {}): Promise<TraceReader> {
  const file = opts.name ?? path;
  // trace.dat / perf.data: printed by their own tool (external.ts), then read as its text.
  const binary = opts.input ? undefined : await sniffBinaryTrace(path);
  const symbols = typeof opts.symbols === 'string' ? await Symbols.load(opts.symbols) : opts.symbols;
  const ext = binary ? await openExternal(path, binary, file) : undefined;
  const src = await openSource(path, file, ext ? ext.stream : opts.input);
  return new Reader(file, src, opts, ext, symbols);
}

/** Read a whole trace into memory (tests, small traces). */
export async function readTrace(
  path: string,
  opts: OpenTraceOptions = {},
): Promise<{ events: CanonicalEvent[]; stats: TraceReadStats }> {
  const r = await openTrace(path, opts);
  const events: CanonicalEvent[] = [];
  for await (const b of r.batches()) for (const e of b) events.push(e);
  return { events, stats: r.stats };
}

const MAX_MALFORMED_REASONS = 20;
/** Bounds on per-trace lists, so garbage input cannot grow memory. */
const MAX_LIST = 10_000;
const MAX_GAPS = 100_000;
/** A "line" longer than this (binary data without newlines) is skipped, not accumulated. */
const MAX_LINE = 1 << 20;
const MARKER_KIND = EVENT_KINDS.indexOf('marker');
const EMPTY_BUF = Buffer.alloc(0);

class Reader implements TraceReader {
  readonly stats: TraceReadStats;
  private used = false;

  constructor(
    readonly file: string, private readonly src: TextSource, private readonly opts: OpenTraceOptions,
    private readonly ext?: ExternalTrace, private readonly symbols?: Symbols,
  ) {
    this.stats = emptyStats(file);
    this.stats.compression = src.compression;
  }

  async *events(): AsyncIterable<CanonicalEvent> {
    for await (const b of this.batches()) yield* b;
  }

  async *batches(): AsyncIterable<CanonicalEvent[]> {
    if (this.used) throw new Error('TraceReader.batches() can be iterated once');
    this.used = true;
    // Bytes, not text: lines are cut at '\n' bytes and the usual event line is read straight from
    // them (parseEventBytes, Emitter.handleBytes); only other lines become strings.
    const it = this.src.buffers[Symbol.asyncIterator]();
    try {
      yield* this.read(it);
    } finally {
      // Stopped early (an error, a consumer that broke off): the source closes its file and ends
      // its decompressor, whose child process would otherwise keep Node running.
      await it.return?.(undefined);
    }
  }

  private async *read(it: AsyncIterator<Buffer>): AsyncGenerator<CanonicalEvent[]> {
    const headBufs: Buffer[] = [];
    let headLen = 0;
    let done = false;
    while (headLen < SNIFF_CHARS && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else {
        headBufs.push(Buffer.from(r.value)); // a copy: the source reuses its buffer
        headLen += r.value.length;
      }
    }
    const head = Buffer.concat(headBufs, headLen).toString('utf8');
    const format = this.opts.format ?? detectFormat(head);
    const st = this.stats;
    st.format = format;
    const choice = this.chooseMap(format, head);
    st.probeMap = choice.choice;
    // Which printer wrote the text: other printers' lines are read as the kernel's (printers.ts).
    const printer = setupPrinter(head, format, choice.map, this.ext?.declarations ?? [], this.symbols ?? this.ext?.symbols, this.ext?.command, (m) => st.warnings.push(m));
    st.printer = printer.report;
    const proc = new LineProcessor(this.file, format, compileMap(choice.map), st, this.opts.maxLineNumbers ?? 20, this.opts.textPath ?? false, printer.adapter);
    for (let i = 0; ; i++) {
      let buf: Buffer;
      if (i < headBufs.length) {
        buf = headBufs[i]!;
        headBufs[i] = EMPTY_BUF; // read once: let it go
      } else {
        if (done) break;
        const r = await it.next();
        if (r.done) break;
        buf = r.value;
      }
      const batch = proc.chunk(buf);
      proc.flushStats(batch);
      if (batch.length) yield batch;
    }
    const last = proc.end();
    proc.flushStats(last);
    if (last.length) yield last;
    proc.finish();
    st.bytes = this.src.bytes();
    st.warnings.push(...this.src.warnings);
    st.complete = true;
  }

  private chooseMap(format: TraceFormat, head: string): { map: ProbeMap; choice: ProbeMapChoice } {
    if (format === 'jsonl') {
      return { map: EMPTY_MAP, choice: { name: 'none', source: 'none', chosenBy: 'none', reason: 'JSON lines carry canonical events: no probe map needed' } };
    }
    const user = this.opts.probeMap;
    if (user) return { map: user, choice: { name: user.name, source: user.source, chosenBy: 'user', reason: 'given by the user' } };
    const samples = new Map<string, string>();
    const hits = sniffProbeNames(head, format === 'bpftrace', samples);
    const sel = selectProbeMap(hits, [...(this.opts.candidateMaps ?? []), ...builtinProbeMaps()], samples);
    if (!sel) {
      const names = [...hits.keys()].slice(0, 5).join(', ');
      return {
        map: EMPTY_MAP,
        choice: {
          name: 'none', source: 'none', chosenBy: 'none',
          reason: hits.size ? `no built-in map knows the probes seen (${names}${hits.size > 5 ? ', ...' : ''}); pass --probes FILE` : 'no probe lines at the start of the trace',
        },
      };
    }
    return { map: sel.map, choice: { name: sel.map.name, source: sel.map.source, chosenBy: 'auto', reason: sel.reason } };
  }
}

/** Per-format line dispatch and counting. */
class LineProcessor {
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
  private refusal: ProbeRefusal | undefined;
  private inDynamicEvents = false;
  private readonly serialMode: boolean;

  constructor(
    private readonly file: string,
    private readonly format: TraceFormat,
    private readonly cm: CompiledMap,
    private readonly st: TraceReadStats,
    private readonly maxLines: number,
    textPath = false,
    private readonly adapter?: PrinterAdapter,
  ) {
    this.emitter = new Emitter(cm, file);
    this.plans = cm.plans;
    this.index = cm.index;
    this.serialMode = format === 'serial' || format === 'unknown';
    this.fastFormat = format !== 'jsonl' && format !== 'bpftrace' && !textPath && adapter === undefined;
  }

  /** Bytes of a line not finished in the previous chunk. */
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Inside a line longer than MAX_LINE: dropping bytes up to its end. */
  private skippingLong = false;
  /** Lines the byte fast path may take (ftrace-like text; JSON and bpftrace go as text). */
  private readonly fastFormat: boolean;

  /** Process one chunk of input bytes (any boundaries). Returns the events of its complete lines. */
  chunk(buf: Buffer): CanonicalEvent[] {
    this.out = [];
    const len = buf.length;
    let pos = 0;
    if (this.skippingLong || this.carryLen) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.hold(buf);
        return this.out;
      }
      if (this.skippingLong) {
        this.longLine();
        this.skippingLong = false;
      } else {
        this.carry.push(buf.subarray(0, nl));
        const line = Buffer.concat(this.carry, this.carryLen + nl);
        this.carry = [];
        this.carryLen = 0;
        this.byteLine(line, 0, line.length, isAscii(line));
      }
      pos = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= pos) {
      const ascii = isAscii(buf);
      while (pos <= last) {
        const nl = buf.indexOf(10, pos);
        this.byteLine(buf, pos, nl, ascii);
        pos = nl + 1;
      }
    }
    if (pos < len) this.hold(buf.subarray(pos));
    return this.out;
  }

  /**
   * End of input. A last line without its newline may have been cut in the middle of a value
   * (`peer=ffff8800` of a longer pointer): it is not read, and the warning names it. Every line
   * the kernel writes ends with a newline, so a whole trace loses nothing.
   */
  end(): CanonicalEvent[] {
    this.out = [];
    if (this.skippingLong) {
      this.longLine();
      this.skippingLong = false;
    } else if (this.carryLen) {
      const line = Buffer.concat(this.carry, this.carryLen);
      this.carry = [];
      this.carryLen = 0;
      const lineNo = ++this.lineNo;
      if (line.toString('latin1').trim() !== '') {
        this.skip('cut', lineNo);
        this.st.warnings.push(`line ${lineNo}: the input ends in the middle of this line (no newline): not read`);
      } else this.skip('blank', lineNo);
    }
    return this.out;
  }

  /** Keep the start of an unfinished line (bounded: an overlong line is dropped up to its end). */
  private hold(part: Buffer): void {
    if (this.skippingLong) return;
    this.carry.push(Buffer.from(part)); // a copy: the source reuses its buffer
    this.carryLen += part.length;
    if (this.carryLen > MAX_LINE) {
      this.carry = [];
      this.carryLen = 0;
      this.skippingLong = true;
    }
  }

  /** One line buf[a..e) (without its newline). */
  private byteLine(buf: Buffer, a: number, e: number, ascii: boolean): void {
    const lineNo = ++this.lineNo;
    if (e > a && buf[e - 1] === 13) e--;
    if (e === a) return this.skip('blank', lineNo);
    if (ascii && this.fastFormat) {
      const c0 = buf[a];
      if (c0 !== 35 /* # */ && c0 !== 64 /* @ */ && this.refusal === undefined && !this.inDynamicEvents && parseEventBytes(buf, a, e, this.pl)) {
        const plan = this.index.findBytes(buf, a + this.pl.evStart, a + this.pl.evEnd, this.pl.evHash);
        if (plan !== undefined) {
          this.outcome(this.emitter.handleBytes(lineNo, this.pl, plan, this.out), lineNo);
          return;
        }
      }
    }
    // Everything else as text: the general path.
    const s = ascii ? latin1(buf, a, e) : buf.toString('utf8', a, e);
    if (this.format === 'jsonl') this.jsonLine(s, lineNo);
    else if (this.format === 'bpftrace') this.bpftraceLine(s, lineNo);
    else this.textLine(s, lineNo);
  }

  /** An overlong line (no newline within MAX_LINE characters) was dropped. */
  longLine(): void {
    this.skip('malformed', ++this.lineNo, `line longer than ${MAX_LINE} characters`);
  }

  private skip(kind: SkipKind, lineNo: number, reason?: string): void {
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
    if (this.refusal !== undefined) {
      if (this.refusalContinuation(s)) {
        this.skip('serial', lineNo);
        return;
      }
      this.refusal = undefined;
    }
    if (c0 === 35 /* # */) return this.headerLine(s, lineNo);
    if (c0 === 64 /* @ */ && s.charCodeAt(1) === 64) return this.serialLine(s, lineNo);
    if (this.inDynamicEvents) {
      const { name } = probeDefName(s);
      if (name && this.st.probesRegistered.length < MAX_LIST && !this.st.probesRegistered.includes(name)) this.st.probesRegistered.push(name);
      this.skip('serial', lineNo);
      return;
    }
    const shape = this.adapter ? this.adapter.parse(s, this.pl) : parseEventLine(s, this.pl);
    if (shape === LineShape.Event) {
      if (this.adapter?.lastCallerUnresolved) return this.unresolvedCallerLine(lineNo);
      return this.eventLine(this.pl.s, lineNo);
    }
    if (shape === LineShape.StackTrace) return this.skip('stacktrace', lineNo);
    if (shape === LineShape.OtherTracer) return this.skip('otherTracer', lineNo);
    this.otherLine(s, lineNo);
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

  /** Markers, `group:event` / `group/event` names, rules by function, or an unknown probe. */
  private unplannedEvent(s: string, lineNo: number): void {
    const pl = this.pl;
    const name = pl.event;
    if (this.cm.markers.has(name) || isHexName(name)) {
      this.marker(s, lineNo, name);
      this.eventLines++;
      return;
    }
    // `group:event: body` (some trace-cmd versions) or `group/event`.
    const slash = name.indexOf('/');
    if (slash > 0) {
      const plan = this.plans.get(name.slice(slash + 1));
      if (plan) {
        pl.evOverride = name.slice(slash + 1);
        return this.outcome(this.emitter.handle(s, lineNo, pl, plan, this.out), lineNo);
      }
    }
    const colon = s.indexOf(':', pl.body);
    if (colon > pl.body && s.indexOf(' ', pl.body) > colon) {
      const inner = s.slice(pl.body, colon);
      const plan = this.plans.get(inner);
      if (plan) {
        pl.evOverride = inner;
        reparseBody(s, colon + 1, pl);
        return this.outcome(this.emitter.handle(s, lineNo, pl, plan, this.out), lineNo);
      }
    }
    if (this.cm.funcPlans.size && pl.symStart !== -1) {
      const sym = s.slice(pl.arrow !== -1 ? pl.arrow + 4 : pl.symStart, pl.symEnd);
      const plus = sym.indexOf('+');
      const func = plus === -1 ? sym : sym.slice(0, plus);
      const plan = this.cm.funcPlans.get(`${func}|${pl.arrow !== -1 ? 'return' : 'entry'}`);
      if (plan) return this.outcome(this.emitter.handle(s, lineNo, pl, plan, this.out), lineNo);
    }
    countName(this.unknown, name);
    this.skip('unknownEvent', lineNo);
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

  private headerLine(s: string, lineNo: number): void {
    if (s.startsWith('#####')) {
      // `##### CPU 2 buffer started ####`: that CPU's earlier events were overwritten.
      const m = /CPU (\d+) buffer started/.exec(s);
      if (m) {
        this.gap({ file: this.file, line: lineNo, cpu: Number(m[1]), reason: 'overrun' });
        return this.skip('lost', lineNo);
      }
    }
    const e = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(s);
    if (e) {
      const inBuffer = Number(e[1]);
      const written = Number(e[2]);
      this.st.entries = { inBuffer, written };
      if (written > inBuffer) this.gap({ file: this.file, line: lineNo, count: written - inBuffer, reason: 'entries' });
    }
    const p = /#P:(\d+)/.exec(s);
    if (p) this.st.cpus = Number(p[1]);
    this.skip('header', lineNo);
  }

  private gap(g: TraceGap): void {
    if (this.st.gaps.length < MAX_GAPS) this.st.gaps.push(g);
    else if (this.st.gaps.length === MAX_GAPS) {
      this.st.gaps.push({ ...g, count: undefined });
      this.st.warnings.push(`more than ${MAX_GAPS} gaps: the rest are not listed (line ${g.line} on)`);
    }
    this.emitter.reset();
  }

  private serialLine(s: string, lineNo: number): void {
    const sp = s.indexOf(' ');
    const tag = sp === -1 ? s : s.slice(0, sp);
    const rest = sp === -1 ? '' : s.slice(sp + 1).trim();
    switch (tag) {
      case '@@KERNEL':
        if (rest) this.st.kernel = rest;
        break;
      case '@@PROBE_OK': {
        const { name } = probeDefName(rest);
        if (name && this.st.probesRegistered.length < MAX_LIST && !this.st.probesRegistered.includes(name)) this.st.probesRegistered.push(name);
        break;
      }
      case '@@PROBE_FAIL': {
        const { name, group } = probeDefName(rest);
        const r: ProbeRefusal = { definition: rest, name, group, line: lineNo };
        if (this.st.probesRefused.length < MAX_LIST) this.st.probesRefused.push(r);
        this.refusal = r;
        break;
      }
      case '@@DYNAMIC_EVENTS_BEGIN':
        this.inDynamicEvents = true;
        break;
      case '@@DYNAMIC_EVENTS_END':
        this.inDynamicEvents = false;
        break;
      default:
        if (tag === '@@KERNEL_VERSION' && rest) this.st.kernel = rest;
        break;
    }
    this.skip('serial', lineNo);
  }

  /** error_log text after a refused probe: `[ t] trace_kprobe: error: ...`, `  Command: ...`, `   ^`. */
  private refusalContinuation(s: string): boolean {
    const r = this.refusal!;
    const err = s.indexOf('error: ');
    if (err !== -1 && /^\[\s*\d+\.\d+\]/.test(s)) {
      const msg = s.slice(s.indexOf(']') + 1).trim();
      r.error = r.error ? `${r.error}; ${msg}` : msg;
      return true;
    }
    const t = s.trim();
    if (t.startsWith('Command:')) return true;
    if (/^\^+$/.test(t)) return true;
    return false;
  }

  private otherLine(s: string, lineNo: number): void {
    let p = 0;
    while (p < s.length && s.charCodeAt(p) === 32) p++;
    if (p === s.length) return this.skip('blank', lineNo);
    if (s.startsWith('=>', p)) return this.skip('stacktrace', lineNo);
    const lost = /\bPERF_RECORD_LOST(?:_SAMPLES)?\b.*?\blost\s+(\d+)/.exec(s);
    if (lost) {
      // perf script --show-lost-events: records the kernel could not write.
      const cpu = /\[(\d+)\]/.exec(s);
      this.gap({ file: this.file, line: lineNo, ...(cpu ? { cpu: Number(cpu[1]) } : {}), count: Number(lost[1]), reason: 'lost' });
      return this.skip('lost', lineNo);
    }
    if (s.startsWith('CPU:', p)) {
      // `CPU:3 [LOST 12 EVENTS]`, `CPU:3 [12 EVENTS DROPPED]`, `CPU:3 [EVENTS DROPPED]`
      const m = /^CPU:(\d+)\s*\[(?:LOST (\d+) EVENTS|(\d+)? ?EVENTS DROPPED)\]/.exec(s.slice(p));
      if (m) {
        const count = m[2] ?? m[3];
        this.gap({
          file: this.file, line: lineNo, cpu: Number(m[1]), count: count === undefined ? undefined : Number(count),
          reason: m[2] !== undefined ? 'lost' : 'dropped',
        });
        return this.skip('lost', lineNo);
      }
    }
    if (/^(?:version = \d|cpus=\d|CPU \d+ is empty|cpus = \d)/.test(s.slice(p))) {
      const c = /^cpus\s*=\s*(\d+)/.exec(s.slice(p));
      if (c) this.st.cpus = Number(c[1]);
      return this.skip('header', lineNo);
    }
    if (/^\s*\d+\)\s.*[|]/.test(s)) return this.skip('otherTracer', lineNo); // function_graph
    if (this.serialMode) {
      if (this.st.kernel === undefined) {
        const k = /Linux version (\S+)/.exec(s);
        if (k) this.st.kernel = k[1];
      }
      return this.skip('noise', lineNo);
    }
    if (/^\[\s*\d+\.\d+\]/.test(s)) return this.skip('noise', lineNo);
    this.skip('malformed', lineNo, 'not a trace line');
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
    this.flushStats([]);
  }
}

function isHexName(name: string): boolean {
  if (name.length === 0 || name.length > 16) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function reparseBody(s: string, from: number, pl: ParsedLine): void {
  // Reuse the bare-event parser on the remainder: it fills body/sym/args positions.
  const tmp = newParsedLine();
  parseBareEvent('x:' + s.slice(from), tmp);
  const shift = from - 2;
  pl.body = tmp.body + shift;
  pl.symStart = tmp.symStart === -1 ? -1 : tmp.symStart + shift;
  pl.symEnd = tmp.symEnd === -1 ? -1 : tmp.symEnd + shift;
  pl.arrow = tmp.arrow === -1 ? -1 : tmp.arrow + shift;
  pl.args = tmp.args + shift;
}

