/**
 * The names of the protocol's invariants: one vocabulary for the model (which states them as
 * predicates over a transition), replay (which checks them on real traces), the reports and the
 * tests. A name is a type, not a free string: a misspelt name is a compile error, never a new
 * invariant that silently counts on its own.
 */

/** Invariants the reference model states (src/model/invariants.ts defines one for each). */
export const MODEL_INVARIANT_IDS = [
  'check-restamps',
  'bind-never-replaces-peer',
  'lookup-only-never-creates-peer',
  'expired-route-fails-untouched',
  'current-check-is-noop',
  'slow-path-attaches-existing-peer',
  'peer-reaches-peerless-route',
  'genid-steps-by-one-per-bump',
  'flush-keeps-peer-genid',
  'flush-expires-every-route',
  'route-mtu-only-lowers',
  'pmtu-never-raises-its-path',
  'learned-pmtu-marked-valid',
  'check-applies-learned-pmtu',
  'check-saves-pmtu-orig',
  'check-applies-learned-redirect',
  'peer-holds-learned-pmtu',
  'new-peer-is-blank',
  'update-pmtu-runs-check-peer-pmtu',
  'update-pmtu-prestamps-route',
  'stranger-redirect-ignored',
  'check-fails-iff-stale',
  'new-exception-kills-nexthop-routes',
  'stale-exception-not-applied',
] as const;
export type ModelInvariantId = (typeof MODEL_INVARIANT_IDS)[number];

/**
 * Checks replay makes under names of its own: what one transition of the model implies, split
 * the way a trace shows it (entry and return probes, one event at a time).
 */
export const REPLAY_ONLY_INVARIANT_IDS = [
  'expired-route-fails',
  'check-returns-its-route',
  'slow-path-looks-up-peer',
  'check-binds-only-peerless',
  'check-bind-is-lookup-only',
  'route-genid-changes-only-by-stamp',
  'new-route-stamp',
  'new-route-current-genid',
  'route-genid-fixed-at-creation',
  'netns-genid-monotonic',
  'exception-applied-to-new-route',
] as const;
export type ReplayOnlyInvariantId = (typeof REPLAY_ONLY_INVARIANT_IDS)[number];

/** Every invariant name the model or replay may report. */
export type InvariantId = ModelInvariantId | ReplayOnlyInvariantId;

const ALL: ReadonlySet<string> = new Set<string>([...MODEL_INVARIANT_IDS, ...REPLAY_ONLY_INVARIANT_IDS]);

/** For names that come from outside the program (a JSON report read back, a command line). */
export function isInvariantId(s: string): s is InvariantId {
  return ALL.has(s);
}
