/**
 * Printers: the tools that turn the kernel's trace events into text, and how each one lays out
 * the same event. The kernel's own (tracefs `trace`, `trace_pipe`) is what the line parser reads
 * natively; libtraceevent-based printers (`trace-cmd report`, `perf script`) print the columns
 * differently and the kprobe body from the event's print fmt:
 *
 *   ftrace      tunwl-100 [000] .....  15.109995: dst_check: (ipv4_dst_check+0x0/0x90) obsolete=-1
 *               tunwl-100 [000] .....  15.110000: dst_check_ret: (ip_output+0x41/0x100 <- ipv4_dst_check) ret=0x..
 *   trace-cmd   tunwl-100 [000]  14.486240: dst_check:    (ffffffffad63dbf0) obsolete=65535
 *               tunwl-100 [000]  14.487170: dst_check_ret: (ffffffffad63dbf0 <- ffffffffad6839e0) ret=0x..
 *     -t        nanosecond timestamps;   -l   `tunwl-100  0.....  14.48: ...` (CPU then latency flags)
 *     --ts-diff `14.486240: (+143) event: ...`;   -R   `__probe_func=HEX __probe_ret_ip=HEX args`
 *   perf script tunwl   100 [000]  14.464619:  rtg:dst_check: (ffffffffad63dbf0) obsolete=65535
 *     -F ...    any of comm, pid[/tid], [cpu], time may be missing; --reltime / --deltatime
 *
 * PrinterAdapter turns a libtraceevent line into the parse of the equivalent kernel line: the
 * columns into ParsedLine, the body rewritten to the kernel's form: `(caller+off <- func)` with
 * the caller resolved through kernel symbols (or left as its address, which no caller rule
 * accepts), every arg as the type its probe declared (declared.ts).
 */
import { LineShape, parseNormalisedEvent, type ParsedLine } from './lineparse.ts';
import { retypeArgs, type ArgType, type DeclaredTypes, type ProbeDefinition } from './declared.ts';
import type { Symbols } from './symbols.ts';

export type PrinterTool = 'ftrace' | 'trace-cmd' | 'perf' | 'serial' | 'jsonl' | 'bpftrace' | 'unknown';

/** How timestamps of a layout relate to the kernel's clock. */
export type TimestampMode = 'absolute' | 'relative' | 'delta' | 'none';

export interface PrinterLayout {
  tool: PrinterTool;
  /** Options seen in the layout (`-t`, `-l`, `--ts-diff`, `-R`, `--reltime`, `--deltatime`, `-F`). */
  options: string[];
  /** Human name: `trace-cmd report -l -R`, `ftrace trace file`, `perf script --deltatime`. */
  name: string;
  timestamps: TimestampMode;
  /** Code addresses printed as bare hex (no symbols): callers need --symbols. */
  hexAddresses: boolean;
}

// ------------------------------------------------------------------ column parsing

/** One libtraceevent line taken apart (positions into the line). */
interface Cols {
  task: string;
  pid: number;
  cpu: number;
  /** Latency flags text (trace-cmd -l), '' when absent. */
  flags: string;
  ts: string;
  event: string;
  body: string;
  tsDiff: boolean;
}

/**
 * Longer lines are no printer's event line (a kprobe line with every arg is a few hundred
 * characters); refusing them keeps the backtracking regexes below linear on garbage.
 */
const MAX_PRINTER_LINE = 4096;

/**
 * trace-cmd report: `TASK-PID [CPU] [FLAGS] TS: [(+D)] EVENT: BODY` or (-l)
 * `TASK-PID CPUFLAGS TS: ...`. The event name is followed by padding spaces.
 */
export function parseTraceCmdCols(s: string): Cols | undefined {
  if (s.length > MAX_PRINTER_LINE || s.indexOf(': ') === -1) return undefined;
  // The timestamp: the first `digits.digits:` token after the task (task names rarely hold one).
  const m = /^\s*(.*?)-(\d+)\s+(?:\[(\d+)\]\s+(?:([^\s\d]\S{2,6})\s+)?|(\d+)([^\s\d]\S{2,6})\s+)(\d+(?:\.\d+)?):\s+(\(\+\d+\)\s+)?([^\s:]+):\s*(.*)$/.exec(s);
  if (!m) return undefined;
  let task = m[1]!;
  let pid = Number(m[2]);
  // `.*?` stops at the first `-digits`: a task named like `ip-1` keeps its dash (the pid is the last one).
  const dash = (task + '-' + m[2]).lastIndexOf('-');
  if (dash !== task.length) {
    const whole = task + '-' + m[2];
    task = whole.slice(0, dash);
    pid = Number(whole.slice(dash + 1));
  }
  return {
    task, pid, cpu: Number(m[3] ?? m[5]), flags: m[4] ?? m[6] ?? '', ts: m[7]!, event: m[9]!, body: m[10]!, tsDiff: m[8] !== undefined,
  };
}

/** perf script: `[COMM] [PID[/TID]] [[CPU]] [TS:] GROUP:EVENT: BODY` (any of the first four may be missing). */
export function parsePerfCols(s: string): Cols | undefined {
  if (s.length > MAX_PRINTER_LINE || s.indexOf(': ') === -1) return undefined;
  const m = /^\s*(.*?)\s*([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*):\s(.*)$/.exec(s);
  if (!m) return undefined;
  let head = m[1]!;
  let ts = '';
  let cpu = -1;
  let pid = -1;
  const t = /(?:^|\s)(\d+\.\d+):$/.exec(head);
  if (t) {
    ts = t[1]!;
    head = head.slice(0, t.index).trimEnd();
  }
  const c = /(?:^|\s)\[(\d+)\]$/.exec(head);
  if (c) {
    cpu = Number(c[1]);
    head = head.slice(0, c.index).trimEnd();
  }
  const p = /(?:^|\s)(\d+)(?:\/(\d+))?$/.exec(head);
  if (p) {
    // pid/tid: the tid is the task (what ftrace prints as its pid).
    pid = Number(p[2] ?? p[1]);
    head = head.slice(0, p.index).trimEnd();
  }
  return { task: head.trim(), pid, cpu, flags: '', ts, event: m[3]!, body: m[4]!, tsDiff: false };
}

// ------------------------------------------------------------------ detection

const KERNEL_SYM_BODY = /^\((?:[A-Za-z_.][\w.]*\+0x[0-9a-f]+\/0x[0-9a-f]+|\[unknown[^\]]*\])(?: <- [A-Za-z_.][\w.]*)?\)/;
const HEX_BODY = /^\([0-9a-f]{6,16}(?: <- [0-9a-f]{6,16})?\)/;

/**
 * Which printer wrote this text, from its first lines. `format` is the reader's format detection
 * (serial captures, JSON lines, bpftrace are their own printers).
 */
export function detectPrinter(head: string, format: string): PrinterLayout {
  if (format === 'jsonl' || format === 'bpftrace' || format === 'unknown') {
    return { tool: format, options: [], name: format === 'jsonl' ? 'canonical JSON lines' : format, timestamps: 'absolute', hexAddresses: false };
  }
  let header = false;
  let tcHeader = false;
  let ftraceLines = 0;
  let tcLines = 0;
  let perfLines = 0;
  let hex = 0;
  let raw = 0;
  let latency = 0;
  let tsDiff = 0;
  let nsTs = 0;
  let perfNoCpu = 0;
  let perfNoTs = 0;
  let perfPidTid = 0;
  let perfNoComm = 0;
  let perfNs = 0;
  let firstPerfTs: number | undefined;
  let lastPerfTs = -1;
  let perfDecreasing = false;
  let ftraceFlags = 0;
  let n = 0;
  for (const line of head.split('\n')) {
    if (++n > 4000) break;
    const s = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (!s.trim()) continue;
    if (s.startsWith('# tracer:')) header = true;
    if (/^(?:cpus=\d+|version = \d+|CPU \d+ is empty)/.test(s)) tcHeader = true;
    if (s.startsWith('#') || s.startsWith('@@')) continue;
    const tc = parseTraceCmdCols(s);
    const pf = tc ? undefined : parsePerfCols(s);
    if (tc) {
      const body = tc.body;
      if (HEX_BODY.test(body)) hex++;
      if (/^__probe_(?:ip|func)=/.test(body) || /^ip=\S+ buf=/.test(body)) raw++;
      if (KERNEL_SYM_BODY.test(body) || tc.flags.length >= 4) ftraceLines++;
      else tcLines++;
      if (/\[\d+\]/.test(s) && tc.flags && /^[.dDXNnhHsbzZ0-9]{4,5}$/.test(tc.flags)) ftraceFlags++;
      if (!/\[\d+\]/.test(s.slice(0, s.indexOf(tc.ts)))) latency++;
      if (tc.tsDiff) tsDiff++;
      const frac = tc.ts.indexOf('.');
      if (frac !== -1 && tc.ts.length - frac - 1 === 9) nsTs++;
    } else if (pf) {
      perfLines++;
      if (HEX_BODY.test(pf.body)) hex++;
      if (pf.cpu < 0) perfNoCpu++;
      if (!pf.ts) perfNoTs++;
      else {
        const v = Number(pf.ts);
        if (firstPerfTs === undefined) firstPerfTs = v;
        if (v < lastPerfTs) perfDecreasing = true;
        lastPerfTs = v;
      }
      if (/\s\d+\/\d+\s/.test(s)) perfPidTid++;
      if (!pf.task) perfNoComm++;
      if (/\.\d{9}$/.test(pf.ts)) perfNs++;
    }
  }
  // A console capture holds the kernel's own text, unless another printer's output was captured in it.
  const inSerial = format === 'serial' ? ' in a serial console capture' : '';
  if (perfLines > tcLines + ftraceLines) {
    const options: string[] = [];
    let ts: TimestampMode = 'absolute';
    if (perfNoTs === perfLines) ts = 'none';
    else if (perfDecreasing) ts = 'delta';
    else if (firstPerfTs === 0) ts = 'relative';
    if (ts === 'delta') options.push('--deltatime');
    if (ts === 'relative') options.push('--reltime');
    if (perfNoCpu || perfNoTs || perfPidTid || perfNoComm) options.push('-F');
    if (perfNs) options.push('--ns');
    return { tool: 'perf', options, name: ['perf script', ...options].join(' ') + inSerial, timestamps: ts, hexAddresses: hex > 0 };
  }
  const libtraceevent = (tcHeader && format !== 'serial') || hex > 0 || raw > 0 || (tcLines > 0 && ftraceLines === 0 && ftraceFlags === 0 && (latency > 0 || tsDiff > 0));
  if (libtraceevent) {
    const options: string[] = [];
    if (nsTs) options.push('-t');
    if (latency) options.push('-l');
    if (tsDiff) options.push('--ts-diff');
    if (raw) options.push('-R');
    return { tool: 'trace-cmd', options, name: ['trace-cmd report', ...options].join(' ') + inSerial, timestamps: 'absolute', hexAddresses: hex > 0 || raw > 0 };
  }
  if (format === 'serial') return { tool: 'serial', options: [], name: 'serial console capture (ftrace text)', timestamps: 'absolute', hexAddresses: false };
  return {
    tool: 'ftrace', options: header ? [] : ['trace_pipe'],
    name: header ? 'ftrace trace file' : 'ftrace trace_pipe (or a trace without its header)', timestamps: 'absolute', hexAddresses: false,
  };
}

// ------------------------------------------------------------------ the adapter

const TRAMPOLINE = /^(?:__)?(?:kretprobe_trampoline|(?:arch_)?rethook_trampoline)\+/;

export interface AdapterOptions {
  types: DeclaredTypes;
  definitions: ReadonlyMap<string, ProbeDefinition>;
  symbols?: Symbols;
  /** Called once per distinct problem (the reader's warnings). */
  warn: (message: string) => void;
}

/**
 * Parses lines of a libtraceevent printer into the ParsedLine of the kernel's line for the same
 * event. Returns LineShape.None for lines that are not events (headers, LOST lines): the reader's
 * general handling takes them.
 */
export class PrinterAdapter {
  private symbols: Symbols | undefined;
  private readonly checked = new Map<string, boolean>();
  private warnedUnresolved = false;
  /** The symbols given but found not to match the trace. */
  private refused: string | undefined;
  /** Return lines whose caller stayed an address (no usable symbols). */
  unresolvedCallers = 0;
  /** The last line parsed is a return whose caller stayed an address. */
  lastCallerUnresolved = false;

  constructor(readonly layout: PrinterLayout, private readonly opts: AdapterOptions) {
    this.symbols = opts.symbols;
  }

  parse(s: string, pl: ParsedLine): LineShape {
    this.lastCallerUnresolved = false;
    const c = this.layout.tool === 'perf' ? parsePerfCols(s) : parseTraceCmdCols(s);
    if (!c) return LineShape.None;
    let event = c.event;
    let body = c.body;
    const types = this.opts.types.get(event);
    // Markers: `print: tracing_mark_write: TEXT`, raw `print: ip=tracing_mark_write buf=TEXT`.
    if (event === 'print') {
      const r = /^ip=(\S+) buf=(.*)$/.exec(body);
      if (r) body = `${r[1]}: ${r[2]}`;
    } else {
      body = this.kprobeBody(event, body);
      if (types) body = retypeArgs(body, types);
    }
    // Timestamps that are not the kernel clock are dropped (never made up): order is the file's.
    const ts = this.layout.timestamps === 'absolute' ? c.ts : '';
    // The kernel's layout, for the line parser: `TASK-PID [CPU] FLAGS TS: EVENT: BODY`.
    const flags = c.flags.length >= 4 ? c.flags : '';
    if (event.indexOf(' ') !== -1) event = event.replace(/ /g, '_');
    return parseNormalisedEvent(c.task, c.pid, c.cpu, flags, ts, event, body, pl);
  }

  /** `(HEX)` / `(FUNC <- CALLER)` / raw `__probe_ip=HEX` → `(func+0x0/0x0)` / `(caller+off <- func)`. */
  private kprobeBody(event: string, body: string): string {
    let func: string | undefined;
    let caller: string | undefined;
    let rest: string;
    let m = /^\(([0-9a-f]{1,16})(?: <- ([0-9a-f]{1,16}))?\)\s?(.*)$/.exec(body);
    if (m) {
      func = m[1];
      caller = m[2];
      rest = m[3]!;
    } else {
      m = /^__probe_(?:ip|func)=([0-9a-fx]+)(?: __probe_ret_ip=([0-9a-fx]+))?\s?(.*)$/.exec(body);
      if (!m) return body;
      func = m[1]!.replace(/^0x/, '');
      caller = m[2]?.replace(/^0x/, '');
      rest = m[3]!;
    }
    const def = this.opts.definitions.get(event);
    this.check(event, func, def, caller !== undefined);
    const funcName = this.funcName(func, def);
    if (caller === undefined) return `(${funcName}) ${rest}`;
    const callerText = this.callerName(caller);
    return `(${callerText} <- ${funcName.replace(/\+0x0$/, '')}) ${rest}`;
  }

  private funcName(hex: string, def: ProbeDefinition | undefined): string {
    if (def && /^[A-Za-z_]/.test(def.place)) return def.place.includes('+') ? def.place : `${def.place}+0x0`;
    const r = this.symbols?.resolve(hex);
    return r ?? `0x${hex}`;
  }

  private callerName(hex: string): string {
    const r = this.symbols?.resolve(hex);
    // A second kretprobe on a function returns through the trampoline: the kernel prints that caller as unknown.
    if (r !== undefined) return TRAMPOLINE.test(r) ? "[unknown/kretprobe'd]" : r;
    this.unresolvedCallers++;
    this.lastCallerUnresolved = true;
    if (!this.warnedUnresolved) {
      this.warnedUnresolved = true;
      this.opts.warn(
        this.symbols || this.refused
          ? `return probe callers printed as addresses that the symbols of ${this.symbols?.source ?? this.refused} do not name${this.refused ? ' (refused: they do not match this trace)' : ''}: their events carry no caller, and a line whose meaning depends on its caller is refused`
          : 'return probe callers are printed as addresses and no kernel symbols were given (replay --symbols System.map or kallsyms of the traced boot): their events carry no caller, and a line whose meaning depends on its caller is refused',
      );
    }
    return `0x${hex}`;
  }

  /**
   * A symbol table is used only if it places the probed functions where the trace says they
   * are: a System.map of another build or a kallsyms of another boot (KASLR) would name wrong
   * callers without any error.
   */
  private check(event: string, hex: string, def: ProbeDefinition | undefined, isReturn: boolean): void {
    const sym = this.symbols;
    if (!sym || this.checked.has(hex)) return;
    // Without the definition only a return probe's address is known to be a function's start
    // (an entry probe may sit at an offset: `rt_bind_peer+84`).
    const known = def !== undefined && /^[A-Za-z_]/.test(def.place);
    if (!known && !isReturn) return;
    const got = sym.resolve(hex);
    let ok: boolean;
    if (known) {
      const [name, off] = def!.place.split('+');
      const want = sym.addressOf(name!);
      ok = want !== undefined && want + BigInt(off ? Number(off) : 0) === BigInt('0x' + hex);
    } else {
      ok = got?.endsWith('+0x0') === true;
    }
    this.checked.set(hex, ok);
    if (!ok) {
      this.opts.warn(
        `the symbols of ${sym.source} do not match this trace (probe ${event} at 0x${hex} is ${got ?? 'outside them'}${def ? `, not ${def.place}` : ''}): callers are left unresolved`,
      );
      this.symbols = undefined;
      this.refused = sym.source;
    }
  }
}

export type { ArgType };
