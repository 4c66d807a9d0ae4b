/**
 * One ftrace / trace-cmd event line, taken apart with indexOf and charCodeAt (no regex on the
 * hot path). Layouts accepted:
 *
 *   TASK-PID [CPU] TIMESTAMP: EVENT: BODY                      3.0 (no flags), trace-cmd report
 *   TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY                4 or 5 flag characters (any letters)
 *   TASK-PID (TGID) [CPU] FLAGS TIMESTAMP: EVENT: BODY         options/record-tgid (`(  123)`, `(-----)`)
 *
 * TASK may contain spaces and dashes: the pid follows the LAST '-' before the CPU field.
 * `<...>` is kept as the task name. The parser fills a reused ParsedLine (no allocation except
 * the few strings it must cut out).
 */

/**
 * A parsed line: positions into `s`, with the strings cut out only on demand (most lines never
 * need their flags, and only emitted events need task and timestamp).
 */
export class ParsedLine {
  /** The line text; a line parsed from bytes (parseEventBytes) is cut out only when asked for. */
  private str = '';
  /** Set while the line is known only as bytes: buf[base .. base + len). Positions below are relative to base. */
  buf: Buffer | undefined = undefined;
  base = 0;
  len = 0;
  taskStart = -1;
  taskEnd = -1;
  pid = -1;
  tgid = -1;
  cpu = -1;
  flagsStart = -1;
  flagsEnd = -1;
  tsStart = -1;
  tsEnd = -1;
  /** Event name range (`dst_check`, `tracing_mark_write`, `0`). */
  evStart = 0;
  evEnd = 0;
  /** Set when the name is not a plain range of `s` (group fallback). */
  evOverride: string | undefined = undefined;
  /** Index in the line where the body starts (after `EVENT: `). */
  body = 0;
  /** Kprobe body parts: index range of `(...)` contents, or -1 if the body is not a kprobe body. */
  symStart = -1;
  symEnd = -1;
  /** Index of ' <- ' inside the parentheses (kretprobe), or -1. */
  arrow = -1;
  /** Index where `name=value` args start (after `) `), or the body start for other bodies. */
  args = 0;
  /** parseEventBytes: the timestamp already read (NaN otherwise: read from the text on demand). */
  tsv = NaN;
  /** parseEventBytes: hash of the event name's bytes (PlanIndex.findBytes). */
  evHash = 0;
  /** parseEventBytes: hash of the kretprobe caller's bytes (`sym+off/size`), 0 without one. */
  callerHash = 0;

  get s(): string {
    const b = this.buf;
    if (b !== undefined) {
      this.str = latin1(b, this.base, this.base + this.len);
      this.buf = undefined;
    }
    return this.str;
  }
  set s(v: string) {
    this.str = v;
    this.buf = undefined;
  }

  get event(): string {
    return this.evOverride ?? this.s.slice(this.evStart, this.evEnd);
  }
  get task(): string {
    return this.taskStart < 0 ? '' : this.s.slice(this.taskStart, this.taskEnd);
  }
  get flags(): string {
    return this.flagsStart < 0 ? '' : this.s.slice(this.flagsStart, this.flagsEnd);
  }
  /** Timestamp in seconds, NaN when the line has none. */
  get ts(): number {
    const a = this.tsStart;
    if (a < 0) return NaN;
    if (this.tsv === this.tsv) return this.tsv;
    // `secs.frac` by hand: faster than Number(slice) and exact to the microsecond digits printed.
    const s = this.s;
    const e = this.tsEnd;
    let int = 0;
    let i = a;
    for (; i < e; i++) {
      const c = s.charCodeAt(i);
      if (c === 46) break;
      int = int * 10 + c - 48;
    }
    if (i >= e) return int;
    let frac = 0;
    let scale = 1;
    for (i++; i < e && scale < 1e15; i++) {
      frac = frac * 10 + s.charCodeAt(i) - 48;
      scale *= 10;
    }
    return int + frac / scale;
  }
}

/** buf[a..b) as a (flat, standalone) string; the bytes are ASCII. */
export function latin1(buf: Buffer, a: number, b: number): string {
  return (buf as unknown as { latin1Slice(a: number, b: number): string }).latin1Slice(a, b);
}

export function newParsedLine(): ParsedLine {
  return new ParsedLine();
}

/** What a line that is not a normal event line turned out to be. */
export enum LineShape {
  Event = 0,
  /** `ts: <stack trace>` (a stacktrace event) */
  StackTrace = 1,
  /** A line of another tracer (function tracer `func <-parent`, function_graph). */
  OtherTracer = 2,
  /** Not an event line at all. */
  None = 3,
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parse `s` as an event line. Returns LineShape.Event and fills `out`, or another shape.
 * Never throws.
 */
export function parseEventLine(s: string, out: ParsedLine): LineShape {
  const len = s.length;
  let p = 0;
  while (p < len && s.charCodeAt(p) === 32) p++;
  if (p >= len) return LineShape.None;
  // Candidate CPU fields: `[` digits `]`. A task name may itself contain brackets, so try each.
  let lb = s.indexOf('[', p + 1);
  while (lb !== -1) {
    const shape = tryAt(s, p, lb, out);
    if (shape !== LineShape.None) return shape;
    lb = s.indexOf('[', lb + 1);
  }
  return LineShape.None;
}

function tryAt(s: string, p: number, lb: number, out: ParsedLine): LineShape {
  const len = s.length;
  let i = lb + 1;
  let cpu = 0;
  while (i < len && isDigit(s.charCodeAt(i))) cpu = cpu * 10 + s.charCodeAt(i++) - 48;
  if (i === lb + 1 || s.charCodeAt(i) !== 93 /* ] */) return LineShape.None;
  const rb = i;
  // TASK-PID (and optional TGID) before the bracket.
  let e = lb - 1;
  while (e > p && s.charCodeAt(e) === 32) e--;
  let tgid = -1;
  if (s.charCodeAt(e) === 41 /* ) */) {
    const lp = s.lastIndexOf('(', e);
    if (lp <= p) return LineShape.None;
    let t = 0;
    let digits = 0;
    for (let k = lp + 1; k < e; k++) {
      const c = s.charCodeAt(k);
      if (isDigit(c)) {
        t = t * 10 + c - 48;
        digits++;
      }
    }
    tgid = digits ? t : -1;
    e = lp - 1;
    while (e > p && s.charCodeAt(e) === 32) e--;
  }
  const dash = s.lastIndexOf('-', e);
  if (dash < p || dash === e) return LineShape.None;
  let pid = 0;
  for (let k = dash + 1; k <= e; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return LineShape.None;
    pid = pid * 10 + c - 48;
  }
  // After `]`: optional flags token, then `TIMESTAMP:`.
  let q = rb + 1;
  while (q < len && s.charCodeAt(q) === 32) q++;
  let sp = s.indexOf(' ', q);
  if (sp === -1) return LineShape.None;
  let flagsStart = -1;
  let flagsEnd = -1;
  if (s.charCodeAt(sp - 1) !== 58 /* : */) {
    if (sp - q > 8) return LineShape.None;
    flagsStart = q;
    flagsEnd = sp;
    q = sp;
    while (q < len && s.charCodeAt(q) === 32) q++;
    sp = s.indexOf(' ', q);
    if (sp === -1) {
      // `TIMESTAMP:` at end of line (event with no name): not an event.
      return LineShape.None;
    }
    if (s.charCodeAt(sp - 1) !== 58) return LineShape.None;
  }
  // Timestamp: digits with an optional fraction.
  const tsEnd = sp - 1;
  if (!isDigit(s.charCodeAt(q))) return LineShape.None;
  for (let k = q + 1; k < tsEnd; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c) && c !== 46 /* . */) return LineShape.None;
  }
  const tsStart = q;
  q = sp + 1;
  while (q < len && s.charCodeAt(q) === 32) q++;
  out.s = s;
  out.tsv = NaN;
  out.taskStart = p;
  out.taskEnd = dash;
  out.pid = pid;
  out.tgid = tgid;
  out.cpu = cpu;
  out.flagsStart = flagsStart;
  out.flagsEnd = flagsEnd;
  out.tsStart = tsStart;
  out.tsEnd = tsEnd;
  out.evOverride = undefined;
  // Event name up to ':'; a space before it means this is not `name: body`.
  const colon = s.indexOf(':', q);
  const space = s.indexOf(' ', q);
  if (colon === -1 || (space !== -1 && space < colon)) {
    if (s.charCodeAt(q) === 60 /* < */ && s.startsWith('<stack trace>', q)) return LineShape.StackTrace;
    if (s.startsWith('<user stack trace>', q)) return LineShape.StackTrace;
    return LineShape.OtherTracer;
  }
  out.evStart = q;
  out.evEnd = colon;
  parseBody(s, colon + 1, out);
  return LineShape.Event;
}

/**
 * A bare `EVENT: BODY` line (bpftrace printf output, a body without the ftrace columns).
 * Task, pid, cpu and ts are left unknown.
 */
export function parseBareEvent(s: string, out: ParsedLine): LineShape {
  const len = s.length;
  let q = 0;
  while (q < len && s.charCodeAt(q) === 32) q++;
  const colon = s.indexOf(':', q);
  const space = s.indexOf(' ', q);
  if (colon <= q || (space !== -1 && space < colon)) return LineShape.None;
  out.s = s;
  out.tsv = NaN;
  out.taskStart = -1;
  out.taskEnd = -1;
  out.pid = -1;
  out.tgid = -1;
  out.cpu = -1;
  out.flagsStart = -1;
  out.flagsEnd = -1;
  out.tsStart = -1;
  out.tsEnd = -1;
  out.evOverride = undefined;
  out.evStart = q;
  out.evEnd = colon;
  parseBody(s, colon + 1, out);
  return LineShape.Event;
}

function parseBody(s: string, from: number, out: ParsedLine): void {
  const len = s.length;
  let b = from;
  while (b < len && s.charCodeAt(b) === 32) b++;
  out.body = b;
  out.symStart = -1;
  out.symEnd = -1;
  out.arrow = -1;
  out.args = b;
  if (s.charCodeAt(b) === 40 /* ( */) {
    // `(sym+off/size)` or `(caller+off/size <- func)`; args after `) `.
    let close = s.indexOf(') ', b);
    if (close === -1) close = s.charCodeAt(len - 1) === 41 ? len - 1 : -1;
    if (close !== -1) {
      out.symStart = b + 1;
      out.symEnd = close;
      // ` <- ` only inside the parentheses (a plain indexOf would scan the whole line).
      let arrow = -1;
      for (let k = b + 2; k < close - 2; k++) {
        if (s.charCodeAt(k) === 60 /* < */ && s.charCodeAt(k + 1) === 45 && s.charCodeAt(k - 1) === 32 && s.charCodeAt(k + 2) === 32) {
          arrow = k - 1;
          break;
        }
      }
      out.arrow = arrow;
      let a = close + 1;
      while (a < len && s.charCodeAt(a) === 32) a++;
      out.args = a;
    }
  }
}

/** Symbol name without `+off/size`, module suffix, or (optionally) compiler clone suffixes. */
export function symbolName(sym: string, stripSuffixes: boolean): string {
  let end = sym.length;
  const plus = sym.indexOf('+');
  if (plus !== -1) end = plus;
  const sp = sym.indexOf(' ');
  if (sp !== -1 && sp < end) end = sp;
  let name = end === sym.length ? sym : sym.slice(0, end);
  if (stripSuffixes && name.indexOf('.') !== -1) name = stripCloneSuffix(name);
  return name;
}

const CLONE_RE = /(?:\.(?:constprop|isra|part|cold|lto_priv|llvm)(?:\.\d+)?)+$/;
export function stripCloneSuffix(name: string): string {
  return name.replace(CLONE_RE, '');
}

/** The kretprobe caller text the kernel prints for an unknown caller. */
export function isUnknownCaller(caller: string): boolean {
  return caller.charCodeAt(0) === 91 /* [ */ && caller.startsWith('[unknown');
}

/**
 * The fast path of parseEventLine for a line held as ASCII bytes buf[a..e) (no newline): the
 * usual layouts only (first `[` is the CPU field, no TGID column, a `name:` event). Fills `out`
 * exactly as parseEventLine would, with positions relative to `a`, and returns true; returns
 * false for anything else, which the caller then gives to parseEventLine as text (the general
 * path decides what it is). Never throws.
 */
export function parseEventBytes(buf: Buffer, a: number, e: number, out: ParsedLine): boolean {
  let p = a;
  while (p < e && buf[p] === 32) p++;
  if (p >= e) return false;
  let lb = p + 1;
  while (lb < e && buf[lb] !== 91 /* [ */) lb++;
  if (lb >= e) return false;
  let i = lb + 1;
  let cpu = 0;
  let c = 0;
  while (i < e && (c = buf[i]!) >= 48 && c <= 57) {
    cpu = cpu * 10 + c - 48;
    i++;
  }
  if (i === lb + 1 || i >= e || buf[i] !== 93 /* ] */) return false;
  const rb = i;
  let te = lb - 1;
  while (te > p && buf[te] === 32) te--;
  if (buf[te] === 41 /* ) */) return false; // TGID column: the general path
  let dash = te;
  while (dash >= p && buf[dash] !== 45 /* - */) dash--;
  if (dash < p || dash === te) return false;
  let pid = 0;
  for (let k = dash + 1; k <= te; k++) {
    c = buf[k]!;
    if (c < 48 || c > 57) return false;
    pid = pid * 10 + c - 48;
  }
  let q = rb + 1;
  while (q < e && buf[q] === 32) q++;
  let sp = q;
  while (sp < e && buf[sp] !== 32) sp++;
  if (sp >= e) return false;
  let flagsStart = -1;
  let flagsEnd = -1;
  if (buf[sp - 1] !== 58 /* : */) {
    if (sp - q > 8) return false;
    flagsStart = q;
    flagsEnd = sp;
    q = sp;
    while (q < e && buf[q] === 32) q++;
    sp = q;
    while (sp < e && buf[sp] !== 32) sp++;
    if (sp >= e || buf[sp - 1] !== 58) return false;
  }
  const tsEnd = sp - 1;
  c = buf[q]!;
  if (c < 48 || c > 57) return false;
  // The timestamp is read while it is checked (`secs.frac`, as ParsedLine.ts reads it from text:
  // digits after a second '.' are refused like any other non-digit there).
  let tsInt = 0;
  let tsFrac = 0;
  let tsScale = 1;
  let k = q;
  for (; k < tsEnd; k++) {
    c = buf[k]!;
    if (c === 46) break;
    if (c < 48 || c > 57) return false;
    tsInt = tsInt * 10 + c - 48;
  }
  for (k++; k < tsEnd; k++) {
    c = buf[k]!;
    if ((c < 48 || c > 57) && c !== 46) return false;
    if (tsScale < 1e15) {
      tsFrac = tsFrac * 10 + c - 48;
      tsScale *= 10;
    }
  }
  const tsStart = q;
  q = sp + 1;
  while (q < e && buf[q] === 32) q++;
  // Event name up to ':', no space before it; hashed on the way for the plan lookup.
  let colon = q;
  let h = 0;
  while (colon < e && (c = buf[colon]!) !== 58 && c !== 32) {
    h = (Math.imul(h, 31) + c) | 0;
    colon++;
  }
  if (colon >= e || c !== 58) return false;
  out.s = '';
  out.buf = buf;
  out.base = a;
  out.len = e - a;
  out.taskStart = p - a;
  out.taskEnd = dash - a;
  out.pid = pid;
  out.tgid = -1;
  out.cpu = cpu;
  out.flagsStart = flagsStart < 0 ? -1 : flagsStart - a;
  out.flagsEnd = flagsEnd < 0 ? -1 : flagsEnd - a;
  out.tsStart = tsStart - a;
  out.tsEnd = tsEnd - a;
  out.tsv = tsInt + tsFrac / tsScale;
  out.evOverride = undefined;
  out.evStart = q - a;
  out.evEnd = colon - a;
  out.evHash = h;
  out.callerHash = 0;
  // Body (as parseBody).
  let b = colon + 1;
  while (b < e && buf[b] === 32) b++;
  out.body = b - a;
  out.symStart = -1;
  out.symEnd = -1;
  out.arrow = -1;
  out.args = b - a;
  if (b < e && buf[b] === 40 /* ( */) {
    // One pass for the closing `) ` and the first ` <- ` before it (as parseBody finds them).
    let close = b + 1;
    let lt = -1;
    let ch = 0;
    for (; close < e - 1; close++) {
      c = buf[close]!;
      if (c === 41 /* ) */) {
        if (buf[close + 1] === 32) break;
      } else if (c === 60 /* < */ && lt === -1 && close >= b + 2 && buf[close + 1] === 45 && buf[close - 1] === 32 && buf[close + 2] === 32) {
        lt = close;
        out.callerHash = ch;
      }
      // The caller's hash: every byte before the arrow (its space included).
      ch = (Math.imul(ch, 31) + c) | 0;
    }
    if (close >= e - 1) {
      close = buf[e - 1] === 41 ? e - 1 : -1;
      if (lt !== -1 && lt >= close - 2) lt = -1;
    }
    if (close !== -1) {
      out.symStart = b + 1 - a;
      out.symEnd = close - a;
      out.arrow = lt === -1 ? -1 : lt - 1 - a;
      let x = close + 1;
      while (x < e && buf[x] === 32) x++;
      out.args = x - a;
    }
  }
  return true;
}

/**
 * Fill `out` for an event whose columns another printer laid out (printers.ts): the line text
 * becomes `TASK FLAGS TS EVENT: BODY` (what the positions point into); pid/cpu -1 and ts '' when
 * the printer did not show them. Always LineShape.Event.
 */
export function parseNormalisedEvent(
  task: string, pid: number, cpu: number, flags: string, ts: string, event: string, body: string, out: ParsedLine,
): LineShape {
  const taskEnd = task.length;
  const flagsStart = taskEnd + 1;
  const tsStart = flagsStart + flags.length + 1;
  const evStart = tsStart + ts.length + 1;
  const s = `${task} ${flags} ${ts} ${event}: ${body}`;
  out.s = s;
  out.tsv = NaN;
  out.taskStart = task ? 0 : -1;
  out.taskEnd = task ? taskEnd : -1;
  out.pid = pid;
  out.tgid = -1;
  out.cpu = cpu;
  out.flagsStart = flags ? flagsStart : -1;
  out.flagsEnd = flags ? flagsStart + flags.length : -1;
  out.tsStart = ts ? tsStart : -1;
  out.tsEnd = ts ? tsStart + ts.length : -1;
  out.evOverride = undefined;
  out.evStart = evStart;
  out.evEnd = evStart + event.length;
  out.evHash = 0;
  out.callerHash = 0;
  parseBody(s, out.evEnd + 1, out);
  return LineShape.Event;
}
