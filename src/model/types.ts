/**
 * The reference model's contract (shared by the model, the C evaluator's differential check,
 * replay and scan). The model is pure: state in, state out, no I/O.
 *
 * Identities are small integers chosen by the caller (route 0, 1, ...; destinations as dotted
 * quads). All genids are u32: arithmetic is modulo 2^32 (`(x + 1) >>> 0`).
 */

/** Era profiles (../shared/reference/mechanism-history.md). */
export type Era = 'pre-genid' | 'seed' | 'pmtu-redirect' | 'fnhe';
export const ERAS: readonly Era[] = ['pre-genid', 'seed', 'pmtu-redirect', 'fnhe'];

/** struct inet_peer, as far as the protocol is concerned. */
export interface PeerState {
  daddr: string;
  /** Learned PMTU (pmtu-redirect era); valid only while pmtuExpires !== 0. */
  pmtuLearned: number;
  /** 0 = nothing learned (the kernel's sentinel); otherwise the expiry time in model ticks. */
  pmtuExpires: number;
  /** Metric value to restore on expiry; 0 = not saved. */
  pmtuOrig: number;
  /** Learned redirect gateway; '' = none. */
  redirectLearned: string;
  /** References held (routes bound to it + transient lookups). */
  refcnt: number;
}

/** struct rtable, as far as the protocol is concerned. */
export interface RouteState {
  id: number;
  daddr: string;
  /** Peer bound to the route: its daddr key in ModelState.peers, or null. */
  peer: string | null;
  /** rt->rt_peer_genid (u32). */
  peerGenid: number;
  /** rt_is_expired(): the route's rt_genid no longer equals the namespace's. */
  expired: boolean;
  /** Current gateway and MTU metric of the route (what a socket observes). */
  gateway: string;
  mtu: number;
  /** RTCF_REDIRECTED was set. */
  redirected: boolean;
  /** fnhe era: dst->obsolete (-1 FORCE_CHK valid, -2 KILL). */
  obsolete: number;
  /** Freed (route_free): any further operation on it is a harness error. */
  freed: boolean;
}

/** Modern era: a next-hop exception. */
export interface ExceptionState {
  daddr: string;
  pmtu: number;
  gateway: string;
  /** fnhe->fnhe_genid as stamped at creation / last reset. */
  genid: number;
  expires: number;
  locked: boolean;
}

export interface ModelState {
  era: Era;
  /** Global __rt_peer_genid (u32). Unused in 'pre-genid' and 'fnhe'. */
  genid: number;
  /** Namespace generation (rt_genid): bumped by a flush; routes of an older generation are expired. */
  netGenid: number;
  /** Modern: per-namespace fnhe_genid, bumped by the /proc flush. */
  fnheGenid: number;
  /** Model time in ticks (for PMTU expiry). */
  now: number;
  routes: RouteState[];
  /** inet_peer entries by destination. */
  peers: Record<string, PeerState>;
  /** Modern: exceptions by destination. */
  exceptions: Record<string, ExceptionState>;
}

/** Operations the model and the C evaluator both understand. */
export type Operation =
  /** A new cached route to daddr (route creation; in seed/pmtu-redirect it may bind an existing peer). */
  | { op: 'route_new'; rt: number; daddr: string }
  /** rt_bind_peer(rt, create). */
  | { op: 'bind'; rt: number; create: 0 | 1 }
  /** ipv4_dst_check(rt): result is whether the route is still valid (dst) or NULL. */
  | { op: 'check'; rt: number }
  /** An inetpeer for daddr comes into existence (create=1 lookup by someone else, e.g. ip_select_ident). */
  | { op: 'peer_new'; daddr: string }
  /** Direct bump of the global genid (what the follow-ups do after learning something). */
  | { op: 'bump' }
  /** ICMP frag-needed / update_pmtu for daddr with mtu. */
  | { op: 'pmtu'; daddr: string; mtu: number }
  /** ICMP redirect for daddr to gateway (from oldGateway; a stranger's redirect is ignored). */
  | { op: 'redirect'; daddr: string; gateway: string; from: string }
  /** Route cache flush: netGenid moves; every cached route is expired. */
  | { op: 'flush' }
  /** Time passes (PMTU expiry). */
  | { op: 'tick'; ticks: number }
  /** The route is destroyed (its peer reference released). */
  | { op: 'route_free'; rt: number };

/** What an operation returned, where it returns something. */
export interface OpResult {
  /** check: true = dst returned, false = NULL. */
  valid?: boolean;
  /** bind / check: the peer the route holds afterwards. */
  peer?: string | null;
}

/** A named, documented invariant: a predicate over (before, op, after, result). */
export interface Invariant {
  name: string;
  /** One sentence a kernel reviewer would accept as the rule. */
  description: string;
  eras: readonly Era[];
  /** Returns undefined when it holds, or a one-line explanation of the violation. */
  check(before: ModelState, op: Operation, after: ModelState, result: OpResult): string | undefined;
}
