import { gunzipStrict } from '../trace/decompress-gzip.ts';

/**
 * Reading what a boot left behind: the capture port (ttyS1, the guest init's `@@` protocol, see
 * guest-init.ts) and the console (ttyS0: kernel messages, panics, oopses, the init's progress).
 */

export interface ProbeFailure {
  /** The kprobe_events line the kernel refused. */
  line: string;
  /** The kernel's error_log lines that followed (may be empty: `f:` on 6.1 fails with no log). */
  errors: string[];
}

export interface GuestCapture {
  kernel?: string;
  tracefs?: string;
  noTracefs: boolean;
  tunFailure?: string;
  /** @@SYM answers: wanted name -> kallsyms name. */
  symbols: Record<string, string>;
  symbolsComplete: boolean;
  probesOk: string[];
  probesFailed: ProbeFailure[];
  /** Probes not tried because the guest's kallsyms lacks their symbol (inlined or absent). */
  probesSkipped: { event: string; symbol: string }[];
  /** The registration's summary; kallsymsMs/registerMs are guest clock times of its two passes. */
  probeSummary?: { ok: number; fail: number; skip: number; kallsymsMs?: number; registerMs?: number };
  /** Workload records (between @@WORKLOAD_BEGIN and @@WORKLOAD_END), with their capture line numbers. */
  workload?: { rc: number; lines: { text: string; line: number }[]; complete: boolean };
  dynamicEvents: string[];
  /** The trace text between @@TRACE_BEGIN/@@TRACE_END; `firstLine` is its 1-based line in the capture. */
  trace?: { lines: string[]; firstLine: number; complete: boolean };
  done: boolean;
  /** Compressed sections that arrived truncated or damaged (`@@TRACE_GZ_DAMAGED ...`). */
  damaged: string[];
}

/**
 * The capture port's bytes as text: sections the guest sent gzip-compressed
 * (`@@NAME_GZ <bytes> EXTRA` + bytes) become `@@NAME_BEGIN EXTRA` ... `@@NAME_END`, so that the
 * kept capture.txt is the plain serial form every trace reader knows. A truncated or damaged
 * section is kept as a marker line (`@@NAME_GZ_DAMAGED ...`), never as garbage text.
 */
export function expandCapture(raw: Buffer): string {
  const out: string[] = [];
  let pos = 0;
  const header = Buffer.from('@@');
  while (pos < raw.length) {
    const nl = raw.indexOf(0x0a, pos);
    const end = nl < 0 ? raw.length : nl;
    const line = raw.toString('utf8', pos, end).replace(/\r$/, '');
    const m = /^@@([A-Z_]+)_GZ (\d+) ?(.*)$/.exec(line);
    if (m && raw.subarray(pos, pos + 2).equals(header)) {
      const size = Number(m[2]);
      const start = end + 1;
      const blob = raw.subarray(start, start + size);
      let text: string | undefined;
      // Whole or not at all: a section that arrived complete but fails its CRC, length or
      // framing is damaged too (the run fails with the reason), never a shorter trace.
      const got = blob.length === size ? gunzipStrict(blob) : undefined;
      if (got && 'text' in got) text = got.text.toString('utf8');
      if (text === undefined) {
        out.push(`@@${m[1]}_GZ_DAMAGED expected ${size} bytes, got ${blob.length}${got && 'damage' in got ? `: ${got.damage}` : ''}`);
        break;
      }
      out.push(`@@${m[1]}_BEGIN${m[3] ? ` ${m[3]}` : ''}`);
      out.push(...text.replace(/\n$/, '').split('\n'));
      out.push(`@@${m[1]}_END`);
      pos = start + size;
      if (raw[pos] === 0x0a) pos++;
      continue;
    }
    out.push(line);
    pos = end + 1;
  }
  return out.join('\n') + '\n';
}

export function parseCapture(text: string): GuestCapture {
  const c: GuestCapture = {
    noTracefs: false,
    symbols: {},
    symbolsComplete: false,
    probesOk: [],
    probesFailed: [],
    probesSkipped: [],
    dynamicEvents: [],
    done: false,
    damaged: [],
  };
  const lines = text.replace(/\r/g, '').split('\n');
  let section: 'none' | 'workload' | 'dynamic' | 'trace' = 'none';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const n = i + 1;
    if (section === 'workload') {
      if (l === '@@WORKLOAD_END') {
        c.workload!.complete = true;
        section = 'none';
      } else c.workload!.lines.push({ text: l, line: n });
      continue;
    }
    if (section === 'dynamic') {
      if (l === '@@DYNAMIC_EVENTS_END') section = 'none';
      else if (l.trim()) c.dynamicEvents.push(l);
      continue;
    }
    if (section === 'trace') {
      if (l === '@@TRACE_END') {
        c.trace!.complete = true;
        section = 'none';
      } else c.trace!.lines.push(l);
      continue;
    }
    const sp = l.indexOf(' ');
    const tag = sp < 0 ? l : l.slice(0, sp);
    const rest = sp < 0 ? '' : l.slice(sp + 1);
    if (tag.endsWith('_GZ_DAMAGED')) c.damaged.push(l.slice(2));
    switch (tag) {
      case '@@KERNEL':
        c.kernel = rest.trim();
        break;
      case '@@TRACEFS':
        c.tracefs = rest.trim();
        break;
      case '@@NO_TRACEFS':
        c.noTracefs = true;
        break;
      case '@@TUN_FAIL':
        c.tunFailure = rest.trim() || 'insmod tun.ko failed';
        break;
      case '@@SYM': {
        const [want, name] = rest.trim().split(/\s+/);
        if (want && name) c.symbols[want] = name;
        break;
      }
      case '@@SYM_END':
        c.symbolsComplete = true;
        break;
      case '@@PROBE_OK':
        c.probesOk.push(rest);
        break;
      case '@@PROBE_FAIL':
        c.probesFailed.push({ line: rest, errors: [] });
        break;
      case '@@ERRLOG':
        c.probesFailed.at(-1)?.errors.push(rest);
        break;
      case '@@PROBE_SKIP': {
        const [event, symbol] = rest.trim().split(/\s+/);
        if (event) c.probesSkipped.push({ event, symbol: symbol ?? '' });
        break;
      }
      case '@@PROBES': {
        const m = /ok=(\d+) fail=(\d+) skip=(\d+)/.exec(rest);
        if (m) {
          c.probeSummary = { ok: Number(m[1]), fail: Number(m[2]), skip: Number(m[3]) };
          const k = /kallsyms_ms=(\d+)/.exec(rest);
          const r = /register_ms=(\d+)/.exec(rest);
          if (k) c.probeSummary.kallsymsMs = Number(k[1]);
          if (r) c.probeSummary.registerMs = Number(r[1]);
        }
        break;
      }
      case '@@WORKLOAD_BEGIN':
        c.workload = { rc: Number(/rc=(-?\d+)/.exec(rest)?.[1] ?? NaN), lines: [], complete: false };
        section = 'workload';
        break;
      case '@@DYNAMIC_EVENTS_BEGIN':
        section = 'dynamic';
        break;
      case '@@TRACE_BEGIN':
        c.trace = { lines: [], firstLine: n + 1, complete: false };
        section = 'trace';
        break;
      case '@@DONE':
        c.done = true;
        break;
    }
  }
  return c;
}

/** Trace event lines (not `#` headers, not blank). */
export function traceEventCount(c: GuestCapture): number {
  return c.trace ? c.trace.lines.filter((l) => l.trim() && !l.startsWith('#')).length : 0;
}

export interface ConsoleAnalysis {
  initStarted: boolean;
  workloadStarted: boolean;
  workloadEnded: boolean;
  initDone: boolean;
  /** "Kernel panic - not syncing: ..." */
  panic?: string;
  /** Oops / BUG / general protection fault / kernel NULL pointer dereference lines. */
  oops: string[];
  /** WARNING: CPU: ... (reported, not fatal by itself). */
  warnings: string[];
  /** The last meaningful console lines, for error reports. */
  lastLines: string[];
}

const OOPS = /\b(BUG: |Oops: |general protection fault|kernel NULL pointer dereference|unable to handle page fault|Unable to handle kernel)/;

export function analyseConsole(text: string, keep = 12): ConsoleAnalysis {
  const lines = text.replace(/\r/g, '').split('\n');
  const a: ConsoleAnalysis = { initStarted: false, workloadStarted: false, workloadEnded: false, initDone: false, oops: [], warnings: [], lastLines: [] };
  for (const raw of lines) {
    const l = stripTerminalNoise(raw);
    if (l.includes('@@INIT_START')) a.initStarted = true;
    else if (l.includes('@@WL_START')) a.workloadStarted = true;
    else if (l.includes('@@WL_END')) a.workloadEnded = true;
    else if (l.includes('@@INIT_DONE')) a.initDone = true;
    const p = /Kernel panic - not syncing: .*/.exec(l);
    if (p && !a.panic) a.panic = p[0];
    if (OOPS.test(l)) a.oops.push(l.trim());
    if (/WARNING: CPU: /.test(l)) a.warnings.push(l.trim());
  }
  a.lastLines = lines.map(stripTerminalNoise).filter((l) => l.trim() !== '').slice(-keep);
  return a;
}

/** SeaBIOS and the kernel clear the screen with escape sequences: drop them from reports. */
export function stripTerminalNoise(l: string): string {
  return l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '').replace(/[\x00-\x08\x0b-\x1f]/g, '');
}
