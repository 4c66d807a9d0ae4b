/**
 * The kernel primitives the era profiles are built from, acting on a mutable draft of the state
 * and recording what a probe would see (Effect) in order. Each function names the kernel function
 * it stands for; the stages in src/model/README.md say which kernel does what.
 */
import type { Effect, LookupSite, ModelState, PeerState, RouteState } from './types.ts';
import { configOf, u32 } from './state.ts';

export interface Ctx {
  s: ModelState;
  fx: Effect[];
}

/** inet_getpeer(daddr, create): the current peer for daddr, a new blank one if create, or null. Takes a reference. */
export function lookup(c: Ctx, daddr: string, create: 0 | 1, by: LookupSite, rt?: number): string | null {
  let p: PeerState | undefined = c.s.peers[daddr];
  let created = false;
  if (!p && create) {
    // ddd4aa42: inet_getpeer zeroes pmtu_expires, pmtu_orig and redirect_learned.
    p = { daddr, pmtuLearned: 0, pmtuExpires: 0, pmtuOrig: 0, redirectLearned: '', refcnt: 0, bornSeq: c.s.seq ?? 0 };
    c.s.peers[daddr] = p;
    created = true;
  }
  if (p) p.refcnt++;
  c.fx.push({ kind: 'lookup', daddr, create, peer: p ? daddr : null, created, rt, by });
  return p ? daddr : null;
}

/** inet_putpeer */
export function put(c: Ctx, key: string | null): void {
  if (key === null) return;
  const p = c.s.peers[key];
  if (p) p.refcnt--;
}

/** rt->rt_peer_genid = rt_peer_genid(): the value read at the moment of the stamp. */
export function stamp(c: Ctx, r: RouteState): void {
  r.peerGenid = c.s.genid;
  r.stampSeq = c.s.seq;
  c.fx.push({ kind: 'stamp', rt: r.id, genid: r.peerGenid });
}

/** atomic_inc(&__rt_peer_genid) */
export function bump(c: Ctx, times = 1): void {
  const old = c.s.genid;
  c.s.genid = u32(old + times);
  c.s.lastBumpSeq = c.s.seq;
  c.fx.push({ kind: 'bump', old, new: c.s.genid });
}

/**
 * rt_bind_peer(rt, create) exactly as the seed leaves it:
 *   peer = lookup; if (peer && cmpxchg(&rt->peer, NULL, peer) != NULL) put(peer); else stamp.
 * The stamp also runs when no peer was found. `withStamp` false = the pre-seed function.
 */
export function bindPeer(c: Ctx, r: RouteState, create: 0 | 1, by: LookupSite, withStamp: boolean): void {
  const peer = lookup(c, r.daddr, create, by, r.id);
  if (peer !== null && r.peer !== null) {
    put(c, peer); // CAS lost: the route already has a peer; no stamp on this path.
    return;
  }
  if (peer !== null) r.peer = peer;
  if (withStamp) stamp(c, r);
}

/** time_before(now, e) for model ticks (no jiffies wrap in the model). */
const before = (a: number, b: number) => a < b;

/**
 * check_peer_pmtu (post-46af3180, 3.0+ form): apply an unexpired learned PMTU if it lowers the
 * route's MTU (saving pmtu_orig once per peer); on expiry, only the CAS winner restores pmtu_orig
 * into ITS OWN route; other routes keep the learned MTU (scenario D: kernel behaviour).
 */
export function checkPeerPmtu(c: Ctx, r: RouteState, p: PeerState): void {
  c.fx.push({ kind: 'peer_pmtu', rt: r.id, daddr: p.daddr, peer: r.peer ?? p.daddr, learned: p.pmtuLearned, orig: p.pmtuOrig, expires: p.pmtuExpires, redirect: p.redirectLearned, now: c.s.now });
  const e = p.pmtuExpires;
  if (e === 0) return;
  if (before(c.s.now, e)) {
    if (p.pmtuLearned < r.mtu) {
      if (p.pmtuOrig === 0) p.pmtuOrig = r.mtu;
      r.mtu = p.pmtuLearned;
      c.fx.push({ kind: 'apply_pmtu', rt: r.id, mtu: r.mtu });
    }
  } else {
    p.pmtuExpires = 0; // the CAS e -> 0 succeeds (sequential model)
    if (p.pmtuOrig !== 0) {
      r.mtu = p.pmtuOrig;
      c.fx.push({ kind: 'restore_pmtu', rt: r.id, mtu: r.mtu });
    }
  }
}

/** Learn a PMTU in the peer (frag_needed / update_pmtu): true if something new was learned. */
export function learnPmtu(c: Ctx, p: PeerState, mtu: number): boolean {
  const cfg = configOf(c.s);
  if (mtu < cfg.minPmtu) mtu = cfg.minPmtu;
  if (p.pmtuExpires !== 0 && mtu >= p.pmtuLearned) return false;
  let e = c.s.now + cfg.mtuExpires;
  if (e === 0) e = 1; // 46af3180: 0 is the "nothing learned" sentinel
  p.pmtuLearned = mtu;
  p.pmtuExpires = e;
  c.fx.push({ kind: 'learn_pmtu', daddr: p.daddr, mtu });
  return true;
}

/**
 * check_peer_redir. S2/S3 (int): switch the gateway; if the new neighbour is not resolved,
 * restore it and fail (-EAGAIN: dst_check returns NULL without stamping). S4/S5 (void): the
 * gateway stays switched; the RTCF_REDIRECTED flag only once the neighbour is valid.
 */
export function checkPeerRedir(c: Ctx, r: RouteState, p: PeerState, canFail: boolean): boolean {
  const unresolved = configOf(c.s).unresolved.includes(p.redirectLearned);
  if (unresolved && canFail) return false;
  r.gateway = p.redirectLearned;
  if (!unresolved) r.redirected = true;
  c.fx.push({ kind: 'apply_redirect', rt: r.id, gateway: r.gateway });
  return true;
}

/** A redirect the kernel rejects before looking at any route (ip_rt_redirect's first tests). */
export function redirectRejected(gateway: string, from: string): boolean {
  return gateway === from || gateway === '' || gateway === '0.0.0.0' || gateway === '255.255.255.255';
}

export function newRoute(c: Ctx, id: number, daddr: string, nexthop: string | undefined): RouteState {
  const cfg = configOf(c.s);
  const nh = nexthop ?? cfg.gateway;
  const r: RouteState = {
    id,
    daddr,
    peer: null,
    peerGenid: 0, // dst_alloc zeroes the struct; 3.0-3.5 also set rt_peer_genid = 0 explicitly
    expired: false,
    gateway: nh,
    mtu: cfg.deviceMtu,
    redirected: false,
    obsolete: -1,
    freed: false,
    rtGenid: c.s.netGenid,
    nexthop: nh,
  };
  const i = c.s.routes.findIndex((x) => x.id === id);
  if (i >= 0) c.s.routes[i] = r;
  else c.s.routes.push(r);
  return r;
}

/** route_free: ipv4_dst_destroy puts the route's peer; the id may be reused by a new route. */
export function freeRoute(c: Ctx, r: RouteState): void {
  put(c, r.peer);
  r.freed = true;
}

/** Keeps the derived `expired` flag in step with rt_genid after a namespace generation change. */
export function refreshExpiry(s: ModelState): void {
  for (const r of s.routes) if (!r.freed) r.expired = r.rtGenid !== undefined ? r.rtGenid !== s.netGenid : r.expired;
}

/** rt_cache_flush: the namespace generation moves on and every cached route of it is stale. */
export function flushRouteCache(s: ModelState): void {
  s.netGenid = (s.netGenid + 1) >>> 0;
  refreshExpiry(s);
}

/** The route's peer (rt->peer), or undefined when it has none. */
export function peerOf(s: ModelState, r: RouteState): PeerState | undefined {
  return r.peer ? s.peers[r.peer] : undefined;
}

/** `if (!rt->peer) rt_bind_peer(rt, create);` and the peer the route has afterwards, if any. */
export function bindIfPeerless(c: Ctx, r: RouteState, create: 0 | 1, by: LookupSite, withStamp: boolean): PeerState | undefined {
  if (r.peer === null) bindPeer(c, r, create, by, withStamp);
  return peerOf(c.s, r);
}

/**
 * What a route takes from its peer: check_peer_pmtu, then check_peer_redir when the peer learned a
 * gateway other than the route's. False when the redirect failed (only if `canFail`, see checkPeerRedir).
 * `pmtuGuarded`: 2.6.39 (S2) calls check_peer_pmtu only when `peer->pmtu_expires` is set (3.0 moved
 * that test into check_peer_pmtu), so its probe does not fire when nothing is learned.
 */
export function takePeerInfo(c: Ctx, r: RouteState, p: PeerState, canFail: boolean, pmtuGuarded = false): boolean {
  if (!pmtuGuarded || p.pmtuExpires !== 0) checkPeerPmtu(c, r, p);
  if (p.redirectLearned && p.redirectLearned !== r.gateway) return checkPeerRedir(c, r, p, canFail);
  return true;
}
