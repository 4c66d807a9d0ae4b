/**
 * Property: along any sequence of edits to the pmtu-redirect tree's functions (breakages of the
 * helpers the PMTU operations run, and edits the check does not read), the memoised check gives
 * every text the outcome a fresh check of that text gives.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clearCheckMemo, differentialCheck, memoStats, runCheck } from '../../src/scan/differential.ts';
import { parseC } from '../../src/csrc/parse.ts';
import type { CheckOutcome } from '../../src/scan/pipeline.ts';
import { edited, NEUTRAL, PMTU_BREAKS, pmtu, ROUTE } from './pmtu-edits.ts';

const EDITS: [string, string][] = [...Object.values(PMTU_BREAKS), ...NEUTRAL];

/** The text with the edits whose bit is set in `mask` (each edit applies to its own part of the file). */
function textOf(mask: number): string {
  let t = pmtu;
  EDITS.forEach(([from, to], i) => {
    if (mask & (1 << i)) t = edited(t, from, to);
  });
  return t;
}

const fresh = new Map<number, CheckOutcome>();
function freshOutcome(mask: number): CheckOutcome {
  let o = fresh.get(mask);
  if (!o) {
    o = runCheck(textOf(mask), ROUTE, 'pmtu-redirect');
    fresh.set(mask, o);
  }
  return o;
}

const comparable = (o: CheckOutcome) => ({ status: o.status, reason: o.reason, location: o.location, functions: o.functions });

describe('memoised check = fresh check, over random edit sequences', () => {
  it('holds for every revision of every sequence', () => {
    // Each step toggles one edit (a commit that breaks, fixes, or touches something else).
    const sequences = fc.array(fc.nat({ max: EDITS.length - 1 }), { minLength: 2, maxLength: 6 });
    fc.assert(
      fc.property(sequences, (toggles) => {
        clearCheckMemo();
        let mask = 0;
        for (const i of [-1, ...toggles]) {
          if (i >= 0) mask ^= 1 << i;
          const text = textOf(mask);
          const got = differentialCheck(parseC(text), text, ROUTE, 'pmtu-redirect');
          expect({ mask, ...comparable(got) }).toEqual({ mask, ...comparable(freshOutcome(mask)) });
        }
      }),
      // Few runs: each distinct text costs a full check (about a second); the sequences still mix
      // breakages, fixes and neutral edits, and the memo is reused within each.
      { numRuns: 6, seed: 20110209 },
    );
    expect(memoStats.hits + memoStats.misses).toBeGreaterThan(0);
    // Breakages of the helpers alone diverge (the property is not vacuous).
    expect(freshOutcome(1).status).toBe('divergence');
  }, 900_000);
});
