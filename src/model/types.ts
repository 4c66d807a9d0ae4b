/**
 * The reference model's contract (shared by the model, the C evaluator's differential check,
 * replay and scan). The model is pure: state in, state out, no I/O.
 *
 * Identities are small integers chosen by the caller (route 0, 1, ...; destinations as dotted
 * quads). All genids are u32: arithmetic is modulo 2^32 (`(x + 1) >>> 0`).
 */

/** Era profiles and stages: one vocabulary for every folder (src/core/eras.ts). */
export { ERAS, STAGES, type Era, type Stage } from '../core/eras.ts';
import type { Era, Stage } from '../core/eras.ts';
import type { ModelInvariantId } from '../core/invariants.ts';

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
  /** Bookkeeping (model only): sequence number of the operation that created this peer. */
  bornSeq?: number;
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
  /** The namespace generation the route was created in (rt->rt_genid); expired = rtGenid !== netGenid. */
  rtGenid?: number;
  /** Next hop (gateway the route was created through); modern exceptions are per next hop. */
  nexthop?: string;
  /** fnhe era: rt->rt_pmtu, the PMTU the route took from an exception (0 = none). */
  rtPmtu?: number;
  /** fnhe era: where the route is cached: the next hop's per-cpu slot, or an exception's (fnhe_rth_output). */
  cachedIn?: 'nexthop' | 'exception';
  /** Bookkeeping (model only): sequence number of the last stamp of peerGenid. */
  stampSeq?: number;
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
  /** The next hop the exception hangs off. */
  nexthop?: string;
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
  /** pmtu-redirect: which stage of the 2.6.39-3.5 history (src/model/README.md, stages); default 'S3'. */
  stage?: Stage;
  /** Tunables the operations read (expiry, minimum PMTU, device MTU, ...). */
  config?: ModelConfig;
  /** Bookkeeping (model only): operations applied so far, and the sequence number of the last genid bump. */
  seq?: number;
  lastBumpSeq?: number;
}


export interface ModelConfig {
  /** ip_rt_mtu_expires in model ticks (default 600). */
  mtuExpires: number;
  /** ip_rt_min_pmtu (default 552). */
  minPmtu: number;
  /** MTU of a new route (device MTU, default 1500). */
  deviceMtu: number;
  /** Default next hop / gateway of new routes (default '10.0.0.1'). */
  gateway: string;
  /** Gateways whose neighbour is not resolved: an S2/S3 redirect to them fails with -EAGAIN. */
  unresolved: string[];
}

/** Operations the model and the C evaluator both understand. */
export type Operation =
  /** A new cached route to daddr (route creation; in seed/pmtu-redirect it may bind an existing peer). */
  | { op: 'route_new'; rt: number; daddr: string; nexthop?: string }
  /** rt_bind_peer(rt, create). */
  | { op: 'bind'; rt: number; create: 0 | 1 }
  /** ipv4_dst_check(rt): result is whether the route is still valid (dst) or NULL. */
  | { op: 'check'; rt: number }
  /** An inetpeer for daddr comes into existence (create=1 lookup by someone else, e.g. ip_select_ident). */
  | { op: 'peer_new'; daddr: string }
  /** Direct bump of the global genid (what the follow-ups do after learning something). */
  | { op: 'bump'; times?: number }
  /** ICMP frag-needed / update_pmtu for daddr with mtu. */
  | { op: 'pmtu'; daddr: string; mtu: number; rt?: number }
  /** ICMP redirect for daddr to gateway (from oldGateway; a stranger's redirect is ignored). */
  | { op: 'redirect'; daddr: string; gateway: string; from: string; rt?: number }
  /** Route cache flush: netGenid moves; every cached route is expired. */
  | { op: 'flush'; proc?: boolean }
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
  /** What happened inside the operation, in order (what probes would see). */
  effects?: Effect[];
}

/** One observable step inside an operation (used to render canonical events and to explain). */
export type Effect =
  | { kind: 'lookup'; daddr: string; create: 0 | 1; peer: string | null; created: boolean; rt?: number; by: LookupSite }
  | { kind: 'stamp'; rt: number; genid: number }
  | { kind: 'bump'; old: number; new: number }
  | { kind: 'learn_pmtu'; daddr: string; mtu: number }
  | { kind: 'learn_redirect'; daddr: string; gateway: string }
  /** check_peer_pmtu entered: the peer's state as the probe at its entry reads it. */
  | { kind: 'peer_pmtu'; rt: number; daddr: string; peer: string; learned: number; orig: number; expires: number; redirect: string; now: number }
  | { kind: 'apply_pmtu'; rt: number; mtu: number }
  | { kind: 'restore_pmtu'; rt: number; mtu: number }
  | { kind: 'apply_redirect'; rt: number; gateway: string }
  | { kind: 'kill'; rt: number }
  | { kind: 'exception'; daddr: string; created: boolean; pmtu: number; gateway: string }
  | { kind: 'exception_reset'; daddr: string };

/** Who performed a peer lookup (the caller a kretprobe would name). */
export type LookupSite = 'route_new' | 'bind' | 'check' | 'frag_needed' | 'update_pmtu' | 'redirect' | 'peer_new';

/** A named, documented invariant: a predicate over (before, op, after, result). */
export interface Invariant {
  name: ModelInvariantId;
  /** One sentence a kernel reviewer would accept as the rule. */
  description: string;
  eras: readonly Era[];
  /** Returns undefined when it holds, or a one-line explanation of the violation. */
  check(before: ModelState, op: Operation, after: ModelState, result: OpResult): string | undefined;
}

/** Errors in the use of the model (an operation on an unknown or freed route): harness bugs, not kernel behaviour. */
export class ModelUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUsageError';
  }
}
