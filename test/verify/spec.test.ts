import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Era, Operation } from '../../src/model/types.ts';
import { initialState, cloneState } from '../../src/model/state.ts';
import { apply } from '../../src/model/apply.ts';
import { specApplyInPlace } from '../../src/verify/spec.ts';
import { applicable, operationArb, START_GENIDS, DEFAULT_DADDRS } from '../../src/verify/sequential.ts';
import { observeModel, observationKey } from '../../src/verify/observe.ts';

describe('the concurrent specification run on one CPU is the sequential model', () => {
  for (const era of ['seed', 'pre-genid', 'pmtu-redirect'] as Era[]) {
    it(`${era}: same state and check result after every operation`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...START_GENIDS), fc.array(operationArb({ routes: 3, daddrs: DEFAULT_DADDRS }), { maxLength: 30 }), (genid, ops) => {
          let model = initialState(era, { genid });
          const spec = cloneState(model);
          for (const op of ops as Operation[]) {
            if (!applicable(model, op)) continue;
            const r = apply(model, op);
            model = r.state;
            const sr = specApplyInPlace(spec, op);
            expect(observationKey(observeModel(spec), [sr.valid])).toBe(observationKey(observeModel(model), [r.result.valid]));
          }
        }),
        { numRuns: 300, seed: 7 },
      );
    });
  }
});
