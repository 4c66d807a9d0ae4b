/**
 * Operation steps that several era profiles share word for word. What differs between eras stays in
 * the profiles; only logic that really is the same across them lives here.
 */
import type { Operation, OpResult, PeerState, RouteState } from '../types.ts';
import { isExpired, requireRoute } from '../state.ts';
import { type Ctx, bindIfPeerless, bindPeer, freeRoute, lookup, put, stamp } from '../primitives.ts';

/** The operations every era handles alike. */
export type SharedOperation = Extract<Operation, { op: 'peer_new' | 'tick' | 'route_free' }>;

export function stepShared(c: Ctx, op: SharedOperation): OpResult {
  switch (op.op) {
    case 'peer_new':
      put(c, lookup(c, op.daddr, 1, 'peer_new'));
      return {};
    case 'tick':
      c.s.now += op.ticks;
      return {};
    case 'route_free':
      freeRoute(c, requireRoute(c.s, op.rt, 'route_free'));
      return {};
  }
}

/** The `bind` operation of the rt->peer eras: rt_bind_peer(rt, create), stamping from the seed on. */
export function bindRoute(c: Ctx, op: Extract<Operation, { op: 'bind' }>, withStamp: boolean): OpResult {
  const r = requireRoute(c.s, op.rt, 'bind');
  bindPeer(c, r, op.create, 'bind', withStamp);
  return { peer: r.peer };
}

/**
 * ipv4_dst_check with the peer genid (the seed and its follow-ups): an expired route fails; when the
 * genids differ a peerless route binds lookup-only, `revalidate` takes what the era takes from the
 * peer (false fails the check before the stamp), and the route is re-stamped.
 */
export function checkPeerGenid(c: Ctx, rt: number, revalidate?: (r: RouteState, p: PeerState) => boolean): OpResult {
  const s = c.s;
  const r = requireRoute(s, rt, 'check');
  if (isExpired(s, r)) return { valid: false, peer: r.peer };
  if (r.peerGenid !== s.genid) {
    const p = bindIfPeerless(c, r, 0, 'check', true);
    if (p && revalidate && !revalidate(r, p)) return { valid: false, peer: r.peer };
    stamp(c, r);
  }
  return { valid: true, peer: r.peer };
}

/** A redirect stored in the destination's peer (created if need be) and recorded; false when no peer was had. */
export function learnRedirectInPeer(c: Ctx, daddr: string, gateway: string): boolean {
  const key = lookup(c, daddr, 1, 'redirect');
  if (key === null) return false;
  c.s.peers[key]!.redirectLearned = gateway;
  c.fx.push({ kind: 'learn_redirect', daddr, gateway });
  put(c, key);
  return true;
}
