/**
 * Events as columns: a batch of canonical events as one typed array per field (numbers as
 * Float64Array with a presence byte per event, strings as ids into a string table both sides keep),
 * so a batch crosses between threads as a few transferable buffers instead of one cloned object
 * per event. The receiving side builds event objects on demand (decodeBatch), of the reader's own
 * class (Ev: every field an own property), so they are indistinguishable from the reader's.
 *
 * The string table is shared state of one encoder and one decoder, in message order: each batch
 * carries the strings it adds; when the table is full the encoder starts a new one and says so
 * (`reset`), so memory stays bounded on traces with many distinct pointers.
 */
import type { CanonicalEvent } from '../events.ts';
import { EVENT_KINDS } from '../events.ts';
import { Ev } from '../ev.ts';

/**
 * Every field an Ev may carry: those its constructor sets (always own properties, undefined when
 * not observed) and `irq`, set only when the line shows an interrupt context.
 */
export const EVENT_FIELDS: readonly string[] = [...Object.keys(new Ev('route', '', 0)), 'irq'];
/** The fields decodeBatch passes to the Ev constructor (the others are assigned after it). */
const CTOR_FIELDS = ['kind', 'file', 'line', 'ts', 'cpu', 'task', 'pid', 'probe', 'caller'];
const KIND_ID = new Map<string, number>(EVENT_KINDS.map((k, i) => [k, i]));
/** Strings kept in the table before it starts again (distinct pointers would otherwise grow it). */
const MAX_STRINGS = 1 << 16;

export interface NumberColumn {
  field: string;
  values: Float64Array;
  /** 1 where the event has the field. */
  present: Uint8Array;
}

export interface StringColumn {
  field: string;
  /** Ids into the string table; -1 where the event does not have the field. */
  ids: Int32Array;
}

export interface ColumnBatch {
  n: number;
  /** The one buffer every column is a view of (transferred, then given back: BatchEncoder.recycle). */
  buffer: ArrayBuffer | undefined;
  kinds: Uint8Array;
  lines: Float64Array;
  numbers: NumberColumn[];
  strings: StringColumn[];
  /** Strings this batch adds to the table, in id order (after a reset: from id 0). */
  added: string[];
  reset: boolean;
  /**
   * Events that are not the reader's Ev objects (JSON lines, other sources), sent as they are
   * (structured clone); when set, the columns are empty.
   */
  objects?: CanonicalEvent[];
}

/**
 * One batch as a reader hands it to its consumer instead of event objects (TraceReader.columnBatches):
 * `table` is the string table the batch's ids index, with the batch's own strings already taken in
 * (BatchDecoder.accept). Valid until the consumer asks for the next part (its buffer is then reused).
 */
export interface ColumnPart {
  batch: ColumnBatch;
  table: readonly string[];
}

export class BatchEncoder {
  private table = new Map<string, number>();
  /** Strings kept in the table before it starts again (tests make it small to see resets). */
  constructor(private readonly maxStrings = MAX_STRINGS) {}
  /** Which fields the batch has, and of which type (bit 1 number, 2 string, 4 other). */
  private readonly used = new Uint8Array(EVENT_FIELDS.length);
  /** Generated column fillers by field set: direct field loads, one pass over the events. */
  private readonly fillers = new Map<string, Filler>();

  encode(events: readonly CanonicalEvent[]): ColumnBatch {
    const n = events.length;
    const used = this.used;
    used.fill(0);
    if (!scanFields(events, used)) {
      return { n, buffer: undefined, kinds: EMPTY_U8, lines: EMPTY_F64, numbers: [], strings: [], added: [], reset: false, objects: events.slice() };
    }
    const numbers: NumberColumn[] = [];
    const strings: StringColumn[] = [];
    let sig = '';
    for (let k = 0; k < EVENT_FIELDS.length; k++) {
      const u = used[k]!;
      const field = EVENT_FIELDS[k]!;
      if (u === 0 || field === 'kind' || field === 'line') continue;
      // A field has one type; one that does not (not expected of Ev) sends the batch as objects.
      if (u === 1) numbers.push({ field, values: EMPTY_F64, present: EMPTY_U8 });
      else if (u === 2) strings.push({ field, ids: EMPTY_I32 });
      else return { n, buffer: undefined, kinds: EMPTY_U8, lines: EMPTY_F64, numbers: [], strings: [], added: [], reset: false, objects: events.slice() };
      sig += `${u}${field},`;
    }
    let reset = false;
    if (this.table.size > this.maxStrings) {
      this.table = new Map();
      reset = true;
    }
    let fill = this.fillers.get(sig);
    if (!fill) this.fillers.set(sig, (fill = compileFiller(numbers, strings)));
    const b = this.layout(n, numbers, strings, reset);
    fill(events, b, this.table, KIND_ID);
    return b;
  }

  /** Buffers the decoder has finished with, to be used again (no allocation per batch). */
  private readonly pool: ArrayBuffer[] = [];

  /** Give back a batch's buffer once its events are built (ColumnBatch.buffer). */
  recycle(buf: ArrayBuffer): void {
    if (this.pool.length < 8) this.pool.push(buf);
  }

  /** All the batch's columns in one buffer (one transfer, one allocation, reused). */
  private layout(n: number, numbers: NumberColumn[], strings: StringColumn[], reset: boolean): ColumnBatch {
    const pad = (x: number): number => (x + 7) & ~7;
    const total = pad(n) + 8 * n + numbers.length * (8 * n + pad(n)) + strings.length * pad(4 * n);
    let buffer: ArrayBuffer | undefined;
    for (let i = 0; i < this.pool.length; i++) {
      if (this.pool[i]!.byteLength >= total) {
        buffer = this.pool[i]!;
        this.pool.splice(i, 1);
        break;
      }
    }
    buffer ??= new ArrayBuffer(Math.max(total, 1 << 18));
    let off = 0;
    const kinds = new Uint8Array(buffer, off, n);
    off += pad(n);
    const lines = new Float64Array(buffer, off, n);
    off += 8 * n;
    for (const c of numbers) {
      c.values = new Float64Array(buffer, off, n);
      off += 8 * n;
      c.present = new Uint8Array(buffer, off, n);
      c.present.fill(0);
      off += pad(n);
    }
    for (const c of strings) {
      c.ids = new Int32Array(buffer, off, n);
      off += pad(4 * n);
    }
    return { n, buffer, kinds, lines, numbers, strings, added: [], reset };
  }
}

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

type Filler = (events: readonly CanonicalEvent[], b: ColumnBatch, table: Map<string, number>, kindId: Map<string, number>) => void;

/**
 * Marks in `used` the fields any event has, by type. False when an event is not an Ev (its
 * fields are not known: the batch goes as objects).
 */
const scanFields: (events: readonly CanonicalEvent[], used: Uint8Array) => boolean = new Function(
  'Ev',
  `return function scanFields(events, used) {
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!(e instanceof Ev)) return false;
    let v;
${EVENT_FIELDS.map((f, k) => `    if ((v = e[${JSON.stringify(f)}]) !== undefined) used[${k}] |= typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : 4;`).join('\n')}
  }
  return true;
};`,
)(Ev);

/** One pass over the events writing each present field into its column. */
function compileFiller(numbers: NumberColumn[], strings: StringColumn[]): Filler {
  const pre: string[] = ['const K = b.kinds, L = b.lines, added = b.added;'];
  const per: string[] = ['K[i] = kindId.get(e.kind);', 'L[i] = e.line;'];
  numbers.forEach((c, k) => {
    pre.push(`const n${k} = b.numbers[${k}].values, p${k} = b.numbers[${k}].present;`);
    per.push(`v = e[${JSON.stringify(c.field)}]; if (v !== undefined) { n${k}[i] = v; p${k}[i] = 1; }`);
  });
  strings.forEach((c, k) => {
    pre.push(`const s${k} = b.strings[${k}].ids;`);
    per.push(
      `v = e[${JSON.stringify(c.field)}]; if (v === undefined) s${k}[i] = -1; else { id = T.get(v); if (id === undefined) { id = T.size; T.set(v, id); added.push(v); } s${k}[i] = id; }`,
    );
  });
  const body = `${pre.join('\n')}
let v, id;
for (let i = 0; i < events.length; i++) {
  const e = events[i];
  ${per.join('\n  ')}
}`;
  return new Function(`return function fill(events, b, T, kindId) {\n${body}\n};`)() as Filler;
}

/** The buffers of a batch, for postMessage's transfer list. */
export function transferables(b: ColumnBatch): ArrayBuffer[] {
  return b.buffer ? [b.buffer] : [];
}

type Builder = (b: ColumnBatch, table: readonly string[], out: CanonicalEvent[]) => void;

/** Generated builders by column set: direct field stores, one object shape. */
const builders = new Map<string, Builder>();

/** A batch's events as objects (Ev), its string ids read in `table` (the batch's strings taken in). */
export function buildEvents(b: ColumnBatch, table: readonly string[]): CanonicalEvent[] {
  if (b.objects) return b.objects;
  const sig = `${b.numbers.map((c) => c.field).join(',')}|${b.strings.map((c) => c.field).join(',')}`;
  let build = builders.get(sig);
  if (!build) builders.set(sig, (build = compileBuilder(b)));
  const out: CanonicalEvent[] = new Array(b.n);
  build(b, table, out);
  return out;
}

export class BatchDecoder {
  private table: string[] = [];

  /** The string table as of the last batch accepted (a batch's string ids index it). */
  get strings(): readonly string[] {
    return this.table;
  }

  /** Takes the batch's strings into the table (once per batch, in message order), without building events. */
  accept(b: ColumnBatch): void {
    if (b.reset) this.table = [];
    for (const s of b.added) this.table.push(s);
  }

  decode(b: ColumnBatch): CanonicalEvent[] {
    this.accept(b);
    return this.build(b);
  }

  /** The batch's events as objects, its strings already accepted. */
  build(b: ColumnBatch): CanonicalEvent[] {
    return buildEvents(b, this.table);
  }
}

/** A batch's events as objects, each field read from its column. */
function compileBuilder(b: ColumnBatch): Builder {
  const pre: string[] = ['const K = b.kinds, L = b.lines;'];
  const value = new Map<string, string>();
  const after: string[] = [];
  b.numbers.forEach((c, k) => {
    pre.push(`const n${k} = b.numbers[${k}].values, p${k} = b.numbers[${k}].present;`);
    value.set(c.field, `(p${k}[i] === 1 ? n${k}[i] : undefined)`);
  });
  b.strings.forEach((c, k) => {
    pre.push(`const s${k} = b.strings[${k}].ids;`);
    value.set(c.field, `(s${k}[i] < 0 ? undefined : T[s${k}[i]])`);
  });
  const args = CTOR_FIELDS.map((f) => (f === 'kind' ? 'KINDS[K[i]]' : f === 'line' ? 'L[i]' : (value.get(f) ?? 'undefined')));
  for (const [f, v] of value) {
    if (CTOR_FIELDS.includes(f)) continue;
    // The constructor set every field (but irq) to undefined: stored only when present (irq, an
    // own property only where it was set, likewise).
    after.push(`{ const v = ${v}; if (v !== undefined) e[${JSON.stringify(f)}] = v; }`);
  }
  const body = `${pre.join('\n')}
for (let i = 0; i < b.n; i++) {
  const e = new Ev(${args.join(', ')});
  ${after.join('\n  ')}
  out[i] = e;
}`;
  return new Function('Ev', 'KINDS', `return function build(b, T, out) {\n${body}\n};`)(Ev, EVENT_KINDS) as Builder;
}

