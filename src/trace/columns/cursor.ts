/**
 * Reading a column batch row by row without an object per event: one `Ev` (the reader's own
 * class, so its consumers read plain own properties of the shape they always see, and spread and
 * stringify it as usual) is refilled from each row in turn by code generated for the batch's set
 * of columns.
 *
 * The price is that the object changes under whoever keeps it: a consumer that holds an event
 * beyond the call that handles it must keep `own(e)` instead, a copy of the row (made once per
 * row: two places keeping the same row keep the same object, as with the reader's events).
 */
import type { CanonicalEvent } from '../events.ts';
import { EVENT_KINDS } from '../events.ts';
import { Ev } from '../ev.ts';
import { EVENT_FIELDS, type ColumnBatch } from './batch.ts';

/** The fields the Ev constructor takes, in its order. */
const CTOR_FIELDS = ['kind', 'file', 'line', 'ts', 'cpu', 'task', 'pid', 'probe', 'caller'];

/**
 * A copy of an event's fields as a new Ev (irq an own property only when set, as the reader's).
 * The constructor sets every field to undefined: only the defined ones are stored again.
 */
export const copyEv: (e: CanonicalEvent) => Ev = new Function(
  'Ev',
  `return function copyEv(e) {
  const c = new Ev(${CTOR_FIELDS.map((f) => `e.${f}`).join(', ')});
  let v;
${EVENT_FIELDS.filter((f) => !CTOR_FIELDS.includes(f)).map((f) => `  if ((v = e[${JSON.stringify(f)}]) !== undefined) c[${JSON.stringify(f)}] = v;`).join('\n')}
  return c;
};`,
)(Ev);

/**
 * The row being handled: the reused object, and its copy once someone kept it. One at a time per
 * thread: rows are handled synchronously, one after the other (ColumnCursor.enter/row/leave).
 */
let liveRow: object | undefined;
let liveCopy: Ev | undefined;

/**
 * The event to keep beyond the current call: the event itself, or for the row a cursor is on
 * the copy of that row (the same copy each time for one row).
 */
export function own<T extends CanonicalEvent>(e: T): T {
  // An identity test, not a class or a flag: the cursor is an Ev like the reader's events, so
  // every consumer keeps seeing one object shape.
  if (e !== liveRow) return e;
  return (liveCopy ??= copyEv(e)) as unknown as T;
}

/** Fills the cursor from row i of the batch it was made for. */
export type RowFill = (i: number) => void;
type FillFactory = (b: ColumnBatch, table: readonly string[], c: Ev) => RowFill;

const NON_KEY_FIELDS = EVENT_FIELDS.filter((f) => f !== 'kind' && f !== 'line' && f !== 'irq');

/** Sets every field but kind and line to undefined (a batch's columns are then written per row). */
const clearEv: (c: Ev) => void = new Function(
  `return function clearEv(c) {\n${NON_KEY_FIELDS.map((f) => `  c[${JSON.stringify(f)}] = undefined;`).join('\n')}\n  if (c.irq !== undefined) c.irq = undefined;\n};`,
)();

/**
 * A cursor over column batches: `enter` it, point it at a batch (`at`), fill it row by row and
 * call `row()` after each fill, `leave` when done. Between enter and leave, own() copies the row.
 */
export class ColumnCursor {
  /** The reused event (no irq until a batch has that column: the reader's events without it have none either). */
  readonly ev = new Ev('route', '', 0);
  private readonly factories = new Map<string, FillFactory>();
  private sig = '';

  /** The row filler for this batch (the fields it has no column for are undefined on every row). */
  at(b: ColumnBatch, table: readonly string[]): RowFill {
    const sig = signature(b);
    let make = this.factories.get(sig);
    if (!make) this.factories.set(sig, (make = compileFill(b)));
    if (sig !== this.sig) {
      clearEv(this.ev);
      this.sig = sig;
    }
    return make(b, table, this.ev);
  }

  /** Rows of this cursor are handled from now on; returns the row that was live before (for leave). */
  enter(): object | undefined {
    const prev = liveRow;
    liveRow = this.ev;
    liveCopy = undefined;
    return prev;
  }

  /** The cursor moved to another row: its copy, if any, belongs to the previous one. */
  row(): void {
    liveCopy = undefined;
  }

  leave(prev: object | undefined): void {
    liveRow = prev;
    liveCopy = undefined;
  }
}

/**
 * For tests: make `e` the live row (own() then copies it), as a cursor does for its own object;
 * undefined: no live row.
 */
export function setLiveRow(e: object | undefined): void {
  liveRow = e;
  liveCopy = undefined;
}

function signature(b: ColumnBatch): string {
  let s = '';
  for (const c of b.numbers) s += `${c.field},`;
  s += '|';
  for (const c of b.strings) s += `${c.field},`;
  return s;
}

/** Generated per column set: local views of the columns, one direct store per field per row. */
function compileFill(b: ColumnBatch): FillFactory {
  const pre: string[] = ['const K = b.kinds, L = b.lines;'];
  const per: string[] = ['c.kind = KINDS[K[i]];', 'c.line = L[i];'];
  b.numbers.forEach((col, k) => {
    pre.push(`const n${k} = b.numbers[${k}].values, p${k} = b.numbers[${k}].present;`);
    // Written only where it changes: most rows have few of a batch's columns, and the previous
    // row's value is usually undefined too (a read is cheaper than a store).
    const f = `c[${JSON.stringify(col.field)}]`;
    per.push(`if (p${k}[i] === 1) ${f} = n${k}[i]; else if (${f} !== undefined) ${f} = undefined;`);
  });
  b.strings.forEach((col, k) => {
    pre.push(`const s${k} = b.strings[${k}].ids;`);
    const f = `c[${JSON.stringify(col.field)}]`;
    per.push(`{ const id = s${k}[i]; if (id >= 0) ${f} = T[id]; else if (${f} !== undefined) ${f} = undefined; }`);
  });
  const body = `${pre.join('\n')}
return function fillRow(i) {
  ${per.join('\n  ')}
};`;
  return new Function('KINDS', `return function make(b, T, c) {\n${body}\n};`)(EVENT_KINDS) as FillFactory;
}
