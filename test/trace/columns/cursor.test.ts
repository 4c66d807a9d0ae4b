/**
 * The column cursor: each row read through the one reused event is the event the decoder builds
 * (every field, undefined ones included, across batches of other column sets); own() gives the
 * row's copy while the row is live (one copy per row), and the event itself otherwise.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchDecoder, BatchEncoder, EVENT_FIELDS } from '../../../src/trace/columns/batch.ts';
import { ColumnCursor, copyEv, own } from '../../../src/trace/columns/cursor.ts';
import { Ev } from '../../../src/trace/ev.ts';
import { EVENT_KINDS, type CanonicalEvent, type EventKind } from '../../../src/trace/index.ts';

const NUMBER_FIELDS = new Set(['ts', 'cpu', 'pid', 'irq', 'create', 'rtGenid', 'genid', 'old', 'new', 'mtu', 'rtMtu', 'flags', 'obsolete', 'fnheGenid', 'exceptionGenid', 'oldMtu', 'pmtuLearned', 'pmtuOrig', 'pmtuExpires', 'now', 'devMtu', 'mtuMetric', 'mtuMetricRo', 'icmpMtu', 'minPmtu']);
const OPTIONAL = EVENT_FIELDS.filter((f) => !['kind', 'file', 'line'].includes(f));

const ev = fc
  .record({
    kind: fc.constantFrom(...EVENT_KINDS),
    line: fc.nat(),
    fields: fc.dictionary(fc.constantFrom(...OPTIONAL), fc.tuple(fc.constantFrom('0x0', '0xffff88001f881500', '10.0.0.5', ''), fc.oneof(fc.integer({ min: -2, max: 5 }), fc.integer({ min: 0, max: 0xffffffff }), fc.double({ noNaN: true }))), { maxKeys: 10 }),
  })
  .map(({ kind, line, fields }) => {
    const e = new Ev(kind as EventKind, 'a.trace', line) as unknown as Record<string, unknown>;
    for (const [f, [s, n]] of Object.entries(fields)) e[f] = NUMBER_FIELDS.has(f) ? n : s;
    return e as unknown as CanonicalEvent;
  });

describe('ColumnCursor', () => {
  it('reads every row as the decoder builds it, over batches of other column sets (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ev, { minLength: 1, maxLength: 20 }), { maxLength: 6 }), (batches) => {
        const enc = new BatchEncoder(8);
        const dec = new BatchDecoder();
        const built = new BatchDecoder();
        const cursor = new ColumnCursor();
        for (const events of batches) {
          const b = enc.encode(events);
          const want = built.decode(b);
          dec.accept(b);
          const fill = cursor.at(b, dec.strings);
          for (let i = 0; i < b.n; i++) {
            fill(i);
            for (const f of EVENT_FIELDS) expect((cursor.ev as unknown as Record<string, unknown>)[f], f).toStrictEqual((want[i] as unknown as Record<string, unknown>)[f]);
            // Its copy is the decoder's event: same class, same own fields in the same order.
            const c = copyEv(cursor.ev);
            expect(c).toStrictEqual(want[i]);
            expect(Object.keys(c)).toEqual(Object.keys(want[i]!));
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('own() copies the live row once, and leaves any other event as it is', () => {
    const enc = new BatchEncoder();
    const dec = new BatchDecoder();
    const a = new Ev('check', 'x', 1);
    a.rt = '0xffff88001f881500';
    const b2 = new Ev('check_ret', 'x', 2);
    b2.ret = '0x0';
    const b = enc.encode([a, b2]);
    dec.accept(b);
    const cursor = new ColumnCursor();
    const fill = cursor.at(b, dec.strings);
    expect(own(cursor.ev)).toBe(cursor.ev); // not live: nothing to copy
    const prev = cursor.enter();
    fill(0);
    cursor.row();
    const k0 = own(cursor.ev);
    expect(k0).not.toBe(cursor.ev);
    expect(own(cursor.ev)).toBe(k0); // one copy per row: kept twice, the same object
    expect(own(a)).toBe(a);
    fill(1);
    cursor.row();
    const k1 = own(cursor.ev);
    expect(k1).not.toBe(k0);
    // The kept row did not follow the cursor; a row kept without own() would have.
    expect([k0.kind, k0.line, k0.rt, k0.ret]).toEqual(['check', 1, '0xffff88001f881500', undefined]);
    expect([cursor.ev.kind, cursor.ev.rt, cursor.ev.ret]).toEqual(['check_ret', undefined, '0x0']);
    cursor.leave(prev);
    expect(own(cursor.ev)).toBe(cursor.ev);
  });
});
