/**
 * Format detection and probe-name sniffing on the first lines of a trace (the sniff window).
 */
import type { TraceFormat } from './types.ts';
import { LineShape, newParsedLine, parseBareEvent, parseEventLine } from './lineparse.ts';
import { parsePerfCols, parseTraceCmdCols } from './printers.ts';

const SNIFF_LINES = 20000;

/** Detect the format from the first lines of text. */
export function detectFormat(head: string): TraceFormat {
  const pl = newParsedLine();
  let events = 0;
  let nonText = 0;
  let serial = false;
  let traceCmd = false;
  let ftraceHeader = false;
  let n = 0;
  let start = 0;
  let firstNonBlank: string | undefined;
  for (let i = 0; i < Math.min(head.length, 4096); i++) {
    const c = head.charCodeAt(i);
    if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27)) nonText++;
  }
  while (start < head.length && n < 2000) {
    let end = head.indexOf('\n', start);
    if (end === -1) end = head.length;
    let s = head.slice(start, end);
    start = end + 1;
    n++;
    if (s.endsWith('\r')) {
      s = s.slice(0, -1);
      serial = true;
    }
    const t = s.trimStart();
    if (!t) continue;
    if (firstNonBlank === undefined) {
      firstNonBlank = t;
      if (t.startsWith('{')) {
        try {
          const o = JSON.parse(t) as Record<string, unknown>;
          if (o && typeof o === 'object') return 'kind' in o ? 'jsonl' : 'type' in o ? 'bpftrace' : 'jsonl';
        } catch {
          return 'jsonl';
        }
      }
    }
    if (s.startsWith('@@')) serial = true;
    else if (/^\[\s*\d+\.\d+\]/.test(s)) serial = true;
    else if (/^(version = \d|cpus=\d|CPU \d+ is empty)/.test(s)) traceCmd = true;
    else if (s.startsWith('# tracer:')) ftraceHeader = true;
    else if (parseEventLine(s, pl) === LineShape.Event) events++;
    else if (parseTraceCmdCols(s) !== undefined || isPerfEventLine(s)) events++;
  }
  if (serial) return 'serial';
  if (traceCmd) return 'trace-cmd';
  if (ftraceHeader || events > 0) return 'ftrace';
  if (nonText > 8 || firstNonBlank === undefined) return 'unknown';
  // Text with no trace line in the first MB: read it as a console capture (lines are noise).
  return 'serial';
}

/** A `perf script` event line with at least one column before the event (comm, pid, cpu or time). */
function isPerfEventLine(s: string): boolean {
  const c = parsePerfCols(s);
  return c !== undefined && (c.pid >= 0 || c.cpu >= 0 || c.ts !== '');
}

/** Probe names (event line names) and registered probes in the sniff window, for map selection. */
export function sniffProbeNames(head: string, bare: boolean, samples: Map<string, string>): Map<string, number> {
  const pl = newParsedLine();
  const hits = new Map<string, number>();
  let start = 0;
  let n = 0;
  while (start < head.length && n < SNIFF_LINES) {
    let end = head.indexOf('\n', start);
    if (end === -1) end = head.length;
    const s = head.slice(start, end);
    start = end + 1;
    n++;
    if (s.startsWith('@@PROBE_OK ')) {
      const name = probeDefName(s.slice(11)).name;
      if (name) {
        hits.set(name, (hits.get(name) ?? 0) + 1);
        // `name=FETCHARG` in the definition: the args the lines will carry.
        if (!samples.has(name)) samples.set(name, ' ' + s.slice(11).replace(/=\S+/g, '= '));
      }
      continue;
    }
    let text = s;
    if (bare) {
      // bpftrace: the printf text inside the JSON record.
      const m = /"data":\s*"((?:[^"\\]|\\.)*)"/.exec(s);
      if (!m) continue;
      try {
        text = JSON.parse(`"${m[1]}"`) as string;
      } catch {
        continue;
      }
    }
    if (parseEventLine(text, pl) === LineShape.Event || (bare && parseBareEvent(text, pl) === LineShape.Event)) {
      const ev = pl.event;
      if (ev === 'tracing_mark_write' || ev === 'print' || /^[0-9a-f]+$/.test(ev)) continue;
      hits.set(ev, (hits.get(ev) ?? 0) + 1);
      if (!samples.has(ev)) samples.set(ev, ' ' + text.slice(pl.args));
    } else if (!bare) {
      // trace-cmd report -l / --ts-diff columns, perf script's `comm pid [cpu] ts: group:event: body`.
      const c = parseTraceCmdCols(text) ?? parsePerfCols(text);
      if (c && c.event !== 'print' && !c.event.startsWith('PERF_RECORD')) {
        hits.set(c.event, (hits.get(c.event) ?? 0) + 1);
        if (!samples.has(c.event)) samples.set(c.event, ' ' + c.body.replace(/^\([^)]*\)\s*/, ''));
      }
    }
  }
  return hits;
}

/** `p:grp/name sym args` / `r10:name ...` → name and group. */
export function probeDefName(def: string): { name?: string; group?: string } {
  const m = /^[a-z]\d*:(?:([^/\s]+)\/)?(\S+)/.exec(def.trim());
  return m ? { group: m[1], name: m[2] } : {};
}

