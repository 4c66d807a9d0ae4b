/**
 * Where the stages of the pmtu-redirect era (src/model/README.md, S2..S5) differ in what a trace
 * can show about routes and peers, for the routing-cache replay (cache-era.ts). Each rule names
 * the kernel code it follows; a rule that makes a judgement impossible makes it unchecked, never
 * passed.
 */
import type { Era } from '../model/types.ts';
import type { JudgedStage } from '../core/eras.ts';

/**
 * The stage replay judges a pmtu-redirect trace by: one of the history's, or `unknown` when
 * nothing says it (a trace names no kernel code, and a version string does not tell a backport).
 * Unknown allows what any stage does: a rule where S2..S5 would judge the same event differently
 * leaves it unchecked (STAGE_DECIDES), so a correct kernel of any stage is never called divergent.
 */
export type ReplayStage = JudgedStage;

export const STAGE_DECIDES = 'the stage (S2..S5) decides here and is not known (--stage)';

/**
 * A 3.2+ (S4, S5) allowance applies (the redirect walk, ipv4_validate_peer on cache hits, bumps
 * only on change): the stage is S4/S5, or not known.
 */
export function mayBeLateStage(era: Era, stage: ReplayStage): boolean {
  return era === 'pmtu-redirect' && (stage === 'S4' || stage === 'S5' || stage === 'unknown');
}

/**
 * A PMTU/redirect path's own lookup (its kretprobe's caller is the path) may also bind a cached
 * route to the destination and stamp it. S4/S5 `ip_rt_redirect` walks the cached output routes
 * whose gateway is the redirect's sender and calls `rt_bind_peer(rt, rt->rt_dst, 1)` on each
 * peerless one: the else branch stamps `rt_peer_genid` (rt_bind_peer inlined, the lookup names
 * ip_rt_redirect and no route). S2/S3 redirects and every frag_needed only look the peer up.
 * (update_pmtu names its route in its own event.)
 */
export function pathLookupMayBindRoute(era: Era, stage: ReplayStage, caller: string | undefined): boolean {
  return mayBeLateStage(era, stage) && caller !== undefined && /ip_rt_redirect/.test(caller);
}

/**
 * A destroyed route's peer is still its destination's current peer: a peer a route holds stays
 * in the inetpeer tree (ipv4_dst_destroy drops the last reference). Not in S5, where
 * `rt_cache_invalidate` ends with `inetpeer_invalidate_tree(AF_INET)`: a flush swaps the whole
 * tree out while routes keep pointing to their old peers, and a later lookup finds a new one.
 */
export function freedRoutePeerIsCurrent(era: Era, stage: ReplayStage): boolean {
  return !(era === 'pmtu-redirect' && (stage === 'S5' || stage === 'unknown'));
}

/**
 * S4/S5 run `ipv4_validate_peer(rth)` on every route-cache hit of `ip_route_input_common` and
 * `__ip_route_output_key`, not only from `ipv4_dst_check`: a route with a peer and a stale genid
 * is re-stamped there (and takes its peer's PMTU and redirect) with no probe of a check, a bind
 * or a lookup firing. Between two events of a route its rt_peer_genid may so move unseen.
 */
export const UNSEEN_REVALIDATION = 'S4/S5: a route-cache hit (ipv4_validate_peer outside ipv4_dst_check, not probed) may have re-stamped it';

/** The reason a revalidation nothing probed leaves a move unchecked, as sure as the stage is. */
export function unseenRevalidation(stage: ReplayStage): string {
  return stage === 'unknown' ? `${STAGE_DECIDES}: from S4 on a route-cache hit (not probed) may have re-stamped it` : UNSEEN_REVALIDATION;
}

export function revalidatedUnseen(era: Era, stage: ReplayStage): boolean {
  return mayBeLateStage(era, stage);
}

/**
 * S4/S5 `check_peer_redir` (void) switches the gateway, then looks its neighbour up
 * (`ipv4_neigh_lookup`) and, when that fails (IS_ERR: no neighbour could be made), puts the old
 * gateway back and returns: the check still returns the route. Nothing a probe of ours reads says
 * so: a valid return that kept its gateway is unchecked there. (S2/S3 fail the check instead:
 * NULL.)
 */
export const REDIRECT_NEIGH_FAILED = 'S4/S5: check_peer_redir restores the gateway when its neighbour lookup fails (not observed)';

export function redirectMayBeUndone(era: Era, stage: ReplayStage): boolean {
  return mayBeLateStage(era, stage);
}

/**
 * The lookup of a check's slow path, by its kretprobe's caller: rt_bind_peer inlined into
 * ipv4_dst_check (3.0.1) or, from 3.2, into ipv4_validate_peer when gcc keeps that one out of
 * line (it has three callers). Inside an open check of the same context it is the check's own.
 */
export function isCheckLookupCaller(caller: string): boolean {
  return caller.startsWith('ipv4_dst_check') || caller.startsWith('ipv4_validate_peer');
}

/**
 * S4/S5 `ip_rt_redirect` bumps inside its walk of the cached routes, once per route whose peer's
 * learned redirect it changes: routes to one destination share a peer, but a redirect to another
 * gateway on another CPU between two routes of the walk, a flush's redirect_genid bump there (S4;
 * also from the process context the softirq interrupted, on one CPU), or routes holding peers of
 * a tree a flush swapped out (S5) make one call bump several times. The walk is not probed: how
 * many moves a redirect in progress makes is not known.
 */
export function redirectWalkReason(stage: ReplayStage): string {
  const what = 'ip_rt_redirect bumps once per cached route it redirects (its walk is not probed)';
  return stage === 'unknown' ? `${STAGE_DECIDES}: from S4 ${what}` : `S4/S5: ${what}`;
}
