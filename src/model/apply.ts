import type { Effect, Era, ModelState, Operation, OpResult } from './types.ts';
import { cloneState } from './state.ts';
import type { Ctx } from './primitives.ts';
import { stepSeed } from './profiles/seed.ts';
import { stepPreGenid } from './profiles/pre-genid.ts';
import { stepPmtuRedirect } from './profiles/pmtu-redirect.ts';
import { stepFnhe } from './profiles/fnhe.ts';

type Step = (c: Ctx, op: Operation) => OpResult;

const PROFILES: Record<Era, Step> = {
  'pre-genid': stepPreGenid,
  seed: stepSeed,
  'pmtu-redirect': stepPmtuRedirect,
  fnhe: stepFnhe,
};

/** Runs one operation on `s` IN PLACE (for generators and long runs). Returns the result with its effects. */
export function applyInPlace(s: ModelState, op: Operation): OpResult {
  s.seq = (s.seq ?? 0) + 1;
  const fx: Effect[] = [];
  const result = PROFILES[s.era]({ s, fx }, op);
  result.effects = fx;
  return result;
}

/** The model's transition function: pure (the input state is never modified). */
export function apply(state: ModelState, op: Operation): { state: ModelState; result: OpResult } {
  const next = cloneState(state);
  const result = applyInPlace(next, op);
  return { state: next, result };
}

/** Applies a whole sequence, returning every intermediate state (states[0] = the input). */
export function run(state: ModelState, ops: readonly Operation[]): { states: ModelState[]; results: OpResult[] } {
  const states = [state];
  const results: OpResult[] = [];
  let s = state;
  for (const op of ops) {
    const r = apply(s, op);
    states.push(r.state);
    results.push(r.result);
    s = r.state;
  }
  return { states, results };
}
