/**
 * Profile `seed`: exactly the seed patch (commit 6431cbc25fa2), stage S1 in src/model/README.md.
 * - one global genid G (u32, wraps), nothing bumps it except an explicit `bump` operation
 *   (what the follow-ups will do);
 * - route creation binds with create=0 through rt_bind_peer and therefore stamps G even when no
 *   peer exists (the else branch; 3c0afdca changed that later);
 * - check: expired -> NULL; G differs -> bind(rt, 0) if peerless, then re-stamp (unconditionally).
 * PMTU and redirects are stored in the destination's peer (create=1) but nothing consumes them and
 * nothing bumps: a cached route never learns of a peer created after it (scenario A').
 */
import type { Operation, OpResult } from '../types.ts';
import { type Ctx, bindPeer, bump, flushRouteCache, lookup, newRoute, put, redirectRejected } from '../primitives.ts';
import { bindRoute, checkPeerGenid, stepShared } from './common.ts';

export function stepSeed(c: Ctx, op: Operation): OpResult {
  const s = c.s;
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      bindPeer(c, r, 0, 'route_new', true);
      return { peer: r.peer };
    }
    case 'bind':
      return bindRoute(c, op, true);
    case 'check':
      return checkPeerGenid(c, op.rt);
    case 'bump':
      bump(c, op.times ?? 1);
      return {};
    case 'pmtu': {
      const key = lookup(c, op.daddr, 1, 'frag_needed');
      const p = key ? s.peers[key] : undefined;
      if (p) {
        p.pmtuLearned = Math.max(op.mtu, s.config?.minPmtu ?? 552);
        p.pmtuExpires = s.now + (s.config?.mtuExpires ?? 600) || 1;
      }
      put(c, key);
      return {};
    }
    case 'redirect': {
      if (redirectRejected(op.gateway, op.from)) return {};
      const key = lookup(c, op.daddr, 1, 'redirect');
      if (key) s.peers[key]!.redirectLearned = op.gateway;
      put(c, key);
      return {};
    }
    case 'flush':
      flushRouteCache(s);
      return {};
    default:
      return stepShared(c, op);
  }
}
