/**
 * Events as columns: any batch of the reader's events comes back from encode/decode as the same
 * objects (class, own fields, undefined ones included), with the string table kept in step across
 * batches and restarted when full; batches of other objects travel as they are.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchDecoder, BatchEncoder, EVENT_FIELDS } from '../../../src/trace/columns/batch.ts';
import { Ev } from '../../../src/trace/ev.ts';
import { EVENT_KINDS, type CanonicalEvent, type EventKind } from '../../../src/trace/index.ts';

/** Fields of the Ev constructor's own (always present); the rest are numbers or strings by their type. */
const STRING_FIELDS = new Set(['task', 'probe', 'caller', 'rt', 'daddr', 'peer', 'peerBefore', 'ret', 'gateway', 'oldGateway', 'rtGateway', 'net', 'counter', 'text', 'fnhe', 'dev', 'redirectLearned', 'metrics']);

const str = fc.oneof(fc.constantFrom('0x0', '0xffff88001f881500', '10.0.0.5', 'peerwl', ''), fc.string({ maxLength: 12 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((h) => `0x${h.toString(16)}`));
const num = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 0xffffffff }), fc.double({ noNaN: false }), fc.constant(-0));

const ev = fc.record({
  kind: fc.constantFrom(...EVENT_KINDS),
  file: fc.constantFrom('a.trace', 'b.trace'),
  line: fc.nat(),
  fields: fc.dictionary(fc.constantFrom(...EVENT_FIELDS.filter((f) => !['kind', 'file', 'line'].includes(f))), fc.constant(0), { maxKeys: 12 }),
  values: fc.array(fc.tuple(str, num), { minLength: 12, maxLength: 12 }),
}).map(({ kind, file, line, fields, values }) => {
  const e = new Ev(kind as EventKind, file, line) as unknown as Record<string, unknown>;
  let k = 0;
  for (const f of Object.keys(fields)) {
    const [s, n] = values[k++]!;
    const v = STRING_FIELDS.has(f) ? s : n;
    // irq is set only when the line shows an interrupt context (never assigned undefined).
    if (f === 'irq') {
      if (typeof v === 'number') e.irq = v;
    } else e[f] = v;
  }
  return e as unknown as CanonicalEvent;
});

describe('columns', () => {
  it('every field a batch of Ev has comes back as it was, over several batches', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ev, { maxLength: 40 }), { maxLength: 6 }), (batches) => {
        const enc = new BatchEncoder();
        const dec = new BatchDecoder();
        for (const b of batches) {
          const cols = enc.encode(b);
          const back = dec.decode(structuredClone(cols, { transfer: cols.buffer ? [cols.buffer] : [] }));
          expect(back).toStrictEqual(b);
          for (let i = 0; i < b.length; i++) expect(Object.keys(back[i]!)).toEqual(Object.keys(b[i]!));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the string table restarts when full, in step on both sides', () => {
    const enc = new BatchEncoder();
    const dec = new BatchDecoder();
    let resets = 0;
    for (let k = 0; k < 5; k++) {
      const batch: CanonicalEvent[] = [];
      for (let i = 0; i < 20_000; i++) {
        const e = new Ev('route', 'f', i);
        e.rt = `0x${(k * 20_000 + i).toString(16)}`;
        e.peer = '0x0';
        batch.push(e);
      }
      const cols = enc.encode(batch);
      if (cols.reset) resets++;
      const back = dec.decode(cols);
      expect(back.length).toBe(batch.length);
      for (let i = 0; i < batch.length; i++) if (back[i]!.rt !== batch[i]!.rt || back[i]!.line !== i) expect(back[i]).toStrictEqual(batch[i]);
      expect(back[19_999]).toStrictEqual(batch[19_999]);
      if (cols.buffer) enc.recycle(cols.buffer);
    }
    expect(resets).toBe(1);
  });

  it('objects that are not the reader\'s Ev go as they are', () => {
    const plain = [{ kind: 'marker', file: 'x.jsonl', line: 1, text: 'hi' }] as CanonicalEvent[];
    const cols = new BatchEncoder().encode(plain);
    expect(cols.objects).toEqual(plain);
    expect(new BatchDecoder().decode(cols)).toEqual(plain);
  });
});
