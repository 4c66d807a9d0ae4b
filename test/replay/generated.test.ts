/** Traces the model itself generates (conforming by construction) must replay with no divergence. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERAS } from '../../src/model/index.ts';
import { opsArbitrary, randomOps, renderEvents, generateEvents } from '../../src/model/generate.ts';
import { replaySync } from '../../src/replay/index.ts';

describe.each(ERAS)('generated %s traces', (era) => {
  it('replay conformant (property)', () => {
    fc.assert(
      fc.property(opsArbitrary(era, { maxLength: 60 }), fc.nat(2 ** 31), (ops, g) => {
        const evs = [...renderEvents(era, ops, { file: 'gen', init: { genid: g, netGenid: 5 } })];
        const r = replaySync(evs, { era });
        if (r.divergenceCount) throw new Error(`${r.divergences[0]!.line}: ${r.divergences[0]!.invariant}: ${r.divergences[0]!.message}\n${JSON.stringify(ops)}\n${evs.map((e) => JSON.stringify(e)).join('\n')}`);
      }),
      { numRuns: 200 },
    );
  });
  it('a long generated stream replays conformant and checks something', () => {
    const r = replaySync(generateEvents(era, { seed: 7, count: 20000 }), { era });
    expect(r.divergences).toEqual([]);
    if (era !== 'pre-genid') expect(r.verdict).toBe('conformant');
  });
  it('random sequences also replay conformant with the era detected', () => {
    const evs = [...renderEvents(era, randomOps(era, 3, 400))];
    const r = replaySync(evs);
    expect(r.divergences).toEqual([]);
  });
});
