/** The reference model: pure per-era transition functions, invariants and generators. */
export * from './types.ts';
export { initialState, cloneState, liveRoute, liveRoutes, isExpired, peerIdentity, u32, DEFAULT_CONFIG, type InitOptions } from './state.ts';
export { apply, applyInPlace, run } from './apply.ts';
export { INVARIANTS, invariantsFor, checkInvariants, type InvariantViolation } from './invariants.ts';
