/**
 * The lines of a trace that are not events: headers (`#`), the capture protocol's `@@` lines
 * (the kernel, probes registered or refused, the dynamic events list), the error_log lines after
 * a refused probe, lost-events notices, other printers' headers and console noise. What they say
 * goes into the statistics (kernel, CPUs, entries, refused probes) and the gaps.
 */
import type { TraceGap } from './events.ts';
import type { ProbeRefusal, SkipKind, TraceReadStats } from './types.ts';
import { probeDefName } from './detect.ts';

/** Bounds on per-trace lists, so garbage input cannot grow memory. */
const MAX_LIST = 10_000;

/** Where the lines' findings go (the line processor). */
export interface LineContext {
  readonly file: string;
  readonly st: TraceReadStats;
  skip(kind: SkipKind, lineNo: number, reason?: string): void;
  gap(g: TraceGap): void;
}

export class OtherLines {
  /** The probe refused last: the error_log lines right after it belong to it. */
  refusal: ProbeRefusal | undefined = undefined;
  /** Inside the dynamic events list (`@@DYNAMIC_EVENTS_BEGIN` .. `END`): probe definitions, not events. */
  inDynamicEvents = false;

  /** `serialMode`: a serial capture, where console lines between the trace's are expected. */
  constructor(private readonly cx: LineContext, private readonly serialMode: boolean) {}

  /** A line after a refused probe: true when it is that refusal's error_log text (counted), else the refusal is over. */
  refusalLine(s: string, lineNo: number): boolean {
    if (this.refusalContinuation(s)) {
      this.cx.skip('serial', lineNo);
      return true;
    }
    this.refusal = undefined;
    return false;
  }

  /** A line of the dynamic events list: a probe registered. */
  dynamicEventLine(s: string, lineNo: number): void {
    this.registered(probeDefName(s).name);
    this.cx.skip('serial', lineNo);
  }

  private registered(name: string | undefined): void {
    const list = this.cx.st.probesRegistered;
    if (name && list.length < MAX_LIST && !list.includes(name)) list.push(name);
  }

  /** A `#` line: a header, or an overrun mark of a CPU's buffer. */
  headerLine(s: string, lineNo: number): void {
    if (s.startsWith('#####')) {
      // `##### CPU 2 buffer started ####`: that CPU's earlier events were overwritten.
      const m = /CPU (\d+) buffer started/.exec(s);
      if (m) {
        this.cx.gap({ file: this.cx.file, line: lineNo, cpu: Number(m[1]), reason: 'overrun' });
        return this.cx.skip('lost', lineNo);
      }
    }
    const e = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(s);
    if (e) {
      const inBuffer = Number(e[1]);
      const written = Number(e[2]);
      this.cx.st.entries = { inBuffer, written };
      if (written > inBuffer) this.cx.gap({ file: this.cx.file, line: lineNo, count: written - inBuffer, reason: 'entries' });
    }
    const p = /#P:(\d+)/.exec(s);
    if (p) this.cx.st.cpus = Number(p[1]);
    this.cx.skip('header', lineNo);
  }

  /** An `@@` line of the capture protocol: the kernel, probes registered or refused, the dynamic events list. */
  serialLine(s: string, lineNo: number): void {
    const sp = s.indexOf(' ');
    const tag = sp === -1 ? s : s.slice(0, sp);
    const rest = sp === -1 ? '' : s.slice(sp + 1).trim();
    switch (tag) {
      case '@@KERNEL':
        if (rest) this.cx.st.kernel = rest;
        break;
      case '@@PROBE_OK': {
        this.registered(probeDefName(rest).name);
        break;
      }
      case '@@PROBE_FAIL': {
        const { name, group } = probeDefName(rest);
        const r: ProbeRefusal = { definition: rest, name, group, line: lineNo };
        if (this.cx.st.probesRefused.length < MAX_LIST) this.cx.st.probesRefused.push(r);
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
        if (tag === '@@KERNEL_VERSION' && rest) this.cx.st.kernel = rest;
        break;
    }
    this.cx.skip('serial', lineNo);
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

  /** Any other line: blank, a stack trace, lost events, a header of another printer, console noise, or malformed. */
  otherLine(s: string, lineNo: number): void {
    let p = 0;
    while (p < s.length && s.charCodeAt(p) === 32) p++;
    if (p === s.length) return this.cx.skip('blank', lineNo);
    if (s.startsWith('=>', p)) return this.cx.skip('stacktrace', lineNo);
    const lost = /\bPERF_RECORD_LOST(?:_SAMPLES)?\b.*?\blost\s+(\d+)/.exec(s);
    if (lost) {
      // perf script --show-lost-events: records the kernel could not write.
      const cpu = /\[(\d+)\]/.exec(s);
      this.cx.gap({ file: this.cx.file, line: lineNo, ...(cpu ? { cpu: Number(cpu[1]) } : {}), count: Number(lost[1]), reason: 'lost' });
      return this.cx.skip('lost', lineNo);
    }
    if (s.startsWith('CPU:', p)) {
      // `CPU:3 [LOST 12 EVENTS]`, `CPU:3 [12 EVENTS DROPPED]`, `CPU:3 [EVENTS DROPPED]`
      const m = /^CPU:(\d+)\s*\[(?:LOST (\d+) EVENTS|(\d+)? ?EVENTS DROPPED)\]/.exec(s.slice(p));
      if (m) {
        const count = m[2] ?? m[3];
        this.cx.gap({
          file: this.cx.file, line: lineNo, cpu: Number(m[1]), count: count === undefined ? undefined : Number(count),
          reason: m[2] !== undefined ? 'lost' : 'dropped',
        });
        return this.cx.skip('lost', lineNo);
      }
    }
    if (/^(?:version = \d|cpus=\d|CPU \d+ is empty|cpus = \d)/.test(s.slice(p))) {
      const c = /^cpus\s*=\s*(\d+)/.exec(s.slice(p));
      if (c) this.cx.st.cpus = Number(c[1]);
      return this.cx.skip('header', lineNo);
    }
    if (/^\s*\d+\)\s.*[|]/.test(s)) return this.cx.skip('otherTracer', lineNo); // function_graph
    if (this.serialMode) {
      if (this.cx.st.kernel === undefined) {
        const k = /Linux version (\S+)/.exec(s);
        if (k) this.cx.st.kernel = k[1];
      }
      return this.cx.skip('noise', lineNo);
    }
    if (/^\[\s*\d+\.\d+\]/.test(s)) return this.cx.skip('noise', lineNo);
    this.cx.skip('malformed', lineNo, 'not a trace line');
  }
}
