/** Property tests: every invariant of each profile holds over random conforming sequences. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { apply, checkInvariants, ERAS, initialState, liveRoute, type Era, type ModelState, type Operation, type OpResult } from '../../src/model/index.ts';
import { opsArbitrary, randomOps, renderEvents } from '../../src/model/generate.ts';

function violations(era: Era, ops: Operation[], genid = 0) {
  let s: ModelState = initialState(era, { genid, netGenid: 3 });
  const out: { i: number; invariant: string; message: string; before: ModelState; result: OpResult }[] = [];
  ops.forEach((op, i) => {
    const r = apply(s, op);
    for (const v of checkInvariants(s, op, r.state, r.result)) out.push({ i, ...v, before: s, result: r.result });
    s = r.state;
  });
  return out;
}

describe.each(ERAS)('profile %s', (era) => {
  it('every invariant holds over random sequences', () => {
    fc.assert(
      fc.property(opsArbitrary(era), fc.nat(2 ** 31), (ops, g) => {
        expect(violations(era, ops, g)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('near the 32-bit wrap, the only violations are the documented ABA/zero corner', () => {
    fc.assert(
      fc.property(opsArbitrary(era, { maxLength: 60 }), fc.integer({ min: 2 ** 32 - 24, max: 2 ** 32 - 1 }), (ops, g) => {
        for (const v of violations(era, ops, g)) {
          expect(v.invariant).toBe('peer-reaches-peerless-route');
          const op = ops[v.i] as Extract<Operation, { op: 'check' }>;
          // The route looked current only because the genid came back to its stamp modulo 2^32.
          expect(liveRoute(v.before, op.rt)!.peerGenid).toBe(v.before.genid);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is pure: apply never modifies its input state', () => {
    fc.assert(
      fc.property(opsArbitrary(era, { maxLength: 25 }), (ops) => {
        let s = initialState(era);
        for (const op of ops) {
          const copy = JSON.stringify(s);
          const next = apply(s, op).state;
          expect(JSON.stringify(s)).toBe(copy);
          s = next;
        }
      }),
      { numRuns: 100 },
    );
  });

  it('renders a run as canonical events with consecutive lines', () => {
    const ops = randomOps(era, 42, 200);
    const evs = [...renderEvents(era, ops, { file: 'gen.txt' })];
    expect(evs.length).toBeGreaterThan(50);
    evs.forEach((e, i) => {
      expect(e.line).toBe(i + 1);
      expect(e.file).toBe('gen.txt');
    });
    expect(new Set(evs.map((e) => e.kind)).has('check')).toBe(true);
  });
});
