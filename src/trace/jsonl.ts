/**
 * JSON lines in the canonical event form (one CanonicalEvent per line, `file`/`line` optional and
 * replaced by the JSONL's own position), and bpftrace `-f json` NDJSON.
 */
import type { CanonicalEvent, EventKind } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import { FIELD_TYPES, type MappableField } from './probemap.ts';
import { Ev } from './ev.ts';
import { internString } from './decode.ts';

const KINDS = new Set<string>(EVENT_KINDS);
const POINTER_RE = /^0x(?:0|[1-9a-f][0-9a-f]*)$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CONTEXT_FIELDS: Record<string, 'number' | 'string'> = {
  file: 'string', line: 'number', ts: 'number', cpu: 'number', task: 'string', pid: 'number', irq: 'number', probe: 'string', caller: 'string', unpaired: 'number',
};
const COUNTERS = new Set(['peer', 'rt', 'fnhe']);

/** Parse one JSONL line into an event, or return the reason it is malformed. */
export function parseJsonEvent(text: string, file: string, line: number): CanonicalEvent | string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not a JSON object';
  const o = obj as Record<string, unknown>;
  if (typeof o.kind !== 'string' || !KINDS.has(o.kind)) return `unknown or missing kind ${JSON.stringify(o.kind)}`;
  const ev = new Ev(o.kind as EventKind, file, line);
  const rec = ev as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'kind' || v === null || v === undefined) continue;
    const ctx = CONTEXT_FIELDS[k];
    if (ctx) {
      if (typeof v !== ctx) return `field ${k}: expected a ${ctx}`;
      if (k === 'file' || k === 'line') continue; // position is the JSONL's own
      rec[k] = typeof v === 'string' ? internString(v) : v;
      continue;
    }
    const t = FIELD_TYPES[k as MappableField];
    if (!t) return `unknown field ${k}`;
    switch (t) {
      case 'pointer':
        if (typeof v !== 'string' || !POINTER_RE.test(v)) return `field ${k}: expected a lower-case 0x pointer`;
        rec[k] = internString(v);
        break;
      case 'ipv4':
        if (typeof v !== 'string' || !IPV4_RE.test(v)) return `field ${k}: expected a dotted-quad IPv4 address`;
        rec[k] = v;
        break;
      case 'u32':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) return `field ${k}: expected a u32`;
        rec[k] = v;
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) return `field ${k}: expected a number`;
        rec[k] = v;
        break;
      case 'string':
        if (typeof v !== 'string') return `field ${k}: expected a string`;
        if (k === 'counter' && !COUNTERS.has(v)) return `field counter: expected peer, rt or fnhe`;
        rec[k] = v;
        break;
    }
  }
  return ev;
}

/** A bpftrace NDJSON record, classified. */
export type BpftraceRecord =
  | { type: 'printf'; text: string }
  | { type: 'lost'; count: number | undefined }
  | { type: 'header' }
  | { type: 'malformed'; reason: string };

export function parseBpftraceLine(text: string): BpftraceRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return { type: 'malformed', reason: `not JSON (${(e as Error).message})` };
  }
  if (typeof obj !== 'object' || obj === null) return { type: 'malformed', reason: 'not a JSON object' };
  const o = obj as { type?: unknown; data?: unknown; msg?: unknown };
  switch (o.type) {
    case 'printf':
      if (typeof o.data === 'string') return { type: 'printf', text: o.data };
      if (typeof o.msg === 'string') return { type: 'printf', text: o.msg };
      return { type: 'malformed', reason: 'printf record without data' };
    case 'lost_events': {
      const d = o.data as { events?: unknown } | undefined;
      return { type: 'lost', count: typeof d?.events === 'number' ? d.events : undefined };
    }
    case undefined:
      return { type: 'malformed', reason: 'record without type' };
    default:
      return { type: 'header' };
  }
}
