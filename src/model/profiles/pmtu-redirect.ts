/**
 * Profile `pmtu-redirect`: the seed plus its follow-ups, kernels 2.6.39 .. 3.5
 * (stages S2-S5 in src/model/README.md; the stage is an option, default S3 = the 3.0.1 kernel of the real traces).
 * - route creation (3c0afdca): lookup-only; takes an existing peer and stamps G, applies its
 *   learned PMTU and redirect; with no peer the route keeps rt_peer_genid 0;
 * - PMTU (frag_needed, no route): peer created (create=1), PMTU learned if new or lower;
 *   S2/S3 bump G on EVERY call that got a peer (the real 3.0.1 traces show it), S4/S5 only on learning;
 * - update_pmtu (a route's dst_ops): bind(create=1) if peerless, learn; bump + pre-stamp this route
 *   only when it learned; then check_peer_pmtu on this route;
 * - redirect: S2/S3 store the gateway in the peer and bump on every accepted redirect (even an
 *   unchanged one; no check of the sender against the route's gateway); S4/S5 walk the cached
 *   routes whose gateway is the sender, bind create=1, bump on change, apply at once;
 * - check: expired -> NULL; G differs -> bind(create=0) if peerless, check_peer_pmtu, redirect
 *   (S2/S3: an unresolved new gateway fails the check before the stamp), re-stamp;
 * - flush moves the namespace generation only (never G); S4 forgets learned redirects, S5 swaps the
 *   whole peer tree out (routes keep their old peers).
 */
import type { Operation, OpResult, RouteState } from '../types.ts';
import { isExpired, liveRoutes, requireRoute } from '../state.ts';
import {
  type Ctx, bindIfPeerless, bump, checkPeerPmtu, checkPeerRedir, flushRouteCache, learnPmtu, lookup, newRoute, put, redirectRejected,
  stamp, takePeerInfo,
} from '../primitives.ts';
import { bindRoute, checkPeerGenid, learnRedirectInPeer, stepShared } from './common.ts';

export function stepPmtuRedirect(c: Ctx, op: Operation): OpResult {
  const s = c.s;
  const late = s.stage === 'S4' || s.stage === 'S5';
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      const key = lookup(c, r.daddr, 0, 'route_new', r.id);
      if (key !== null) {
        r.peer = key;
        stamp(c, r);
        const p = s.peers[key]!;
        // S2 (2.6.39) rt_init_metrics: `if (peer->pmtu_expires) check_peer_pmtu(...)`.
        if (s.stage !== 'S2' || p.pmtuExpires !== 0) checkPeerPmtu(c, r, p);
        if (p.redirectLearned && p.redirectLearned !== r.gateway) {
          // rt_init_metrics takes the learned gateway directly (no neighbour test).
          r.gateway = p.redirectLearned;
          r.redirected = true;
          c.fx.push({ kind: 'apply_redirect', rt: r.id, gateway: r.gateway });
        }
      }
      return { peer: r.peer };
    }
    case 'bind':
      return bindRoute(c, op, true);
    case 'check':
      // S2/S3: an unresolved new gateway fails the check before the stamp.
      return checkPeerGenid(c, op.rt, (r, p) => takePeerInfo(c, r, p, !late, s.stage === 'S2'));
    case 'bump':
      bump(c, op.times ?? 1);
      return {};
    case 'pmtu': {
      if (op.rt !== undefined) {
        const r = requireRoute(s, op.rt, 'pmtu');
        const p = bindIfPeerless(c, r, 1, 'update_pmtu', true);
        if (!p) return {};
        if (learnPmtu(c, p, op.mtu)) {
          bump(c);
          stamp(c, r); // the caller's route is pre-stamped; others find out through dst_check
        }
        checkPeerPmtu(c, r, p);
        return {};
      }
      const key = lookup(c, op.daddr, 1, 'frag_needed');
      if (key === null) return {};
      const learned = learnPmtu(c, s.peers[key]!, op.mtu);
      if (late && learned) bump(c);
      put(c, key);
      if (!late) bump(c); // S2/S3: outside the "learned" branch
      return {};
    }
    case 'redirect': {
      if (redirectRejected(op.gateway, op.from)) return {};
      if (!late) {
        if (learnRedirectInPeer(c, op.daddr, op.gateway)) bump(c);
        return {};
      }
      const matching = liveRoutes(s).filter(
        (r: RouteState) => r.daddr === op.daddr && r.gateway === op.from && !isExpired(s, r) && (op.rt === undefined || r.id === op.rt),
      );
      for (const r of matching) {
        const p = bindIfPeerless(c, r, 1, 'redirect', true);
        if (!p) continue;
        if (p.redirectLearned !== op.gateway) {
          p.redirectLearned = op.gateway;
          c.fx.push({ kind: 'learn_redirect', daddr: op.daddr, gateway: op.gateway });
          bump(c);
        }
        checkPeerRedir(c, r, p, false);
      }
      return {};
    }
    case 'flush': {
      flushRouteCache(s);
      if (s.stage === 'S4') for (const k in s.peers) s.peers[k]!.redirectLearned = '';
      if (s.stage === 'S5') {
        // inetpeer_invalidate_tree: lookups no longer find the old peers; routes keep theirs.
        for (const k of Object.keys(s.peers)) {
          if (k.includes('~')) continue;
          const moved = `${k}~${s.seq}`;
          s.peers[moved] = s.peers[k]!;
          delete s.peers[k];
          for (const r of s.routes) if (r.peer === k) r.peer = moved;
        }
      }
      return {};
    }
    default:
      return stepShared(c, op);
  }
}
