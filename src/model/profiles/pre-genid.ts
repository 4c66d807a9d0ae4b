/**
 * Profile `pre-genid`: the bug the seed fixes. PMTU and redirects are stored in the destination's
 * inetpeer (as the seed's message plans) but there is no generation ID: a check only tests expiry,
 * so a cached route never learns about a peer created after it. Only routes created after the
 * peer exists (creation looks the peer up) or the route a socket's update_pmtu runs on see it.
 * This is the hypothetical "peer-stored path info without the genid", not 2.6.38's cache walk.
 */
import type { Operation, OpResult } from '../types.ts';
import { isExpired, requireRoute } from '../state.ts';
import {
  type Ctx, bindIfPeerless, bindPeer, checkPeerPmtu, flushRouteCache, learnPmtu, lookup, newRoute, peerOf, put, redirectRejected, takePeerInfo,
} from '../primitives.ts';
import { bindRoute, learnRedirectInPeer, stepShared } from './common.ts';

export function stepPreGenid(c: Ctx, op: Operation): OpResult {
  const s = c.s;
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      bindPeer(c, r, 0, 'route_new', false);
      const p = peerOf(s, r);
      if (p) takePeerInfo(c, r, p, false);
      return { peer: r.peer };
    }
    case 'bind':
      return bindRoute(c, op, false);
    case 'check': {
      const r = requireRoute(s, op.rt, 'check');
      return { valid: !isExpired(s, r), peer: r.peer };
    }
    case 'bump':
      return {}; // there is no genid to bump
    case 'pmtu': {
      if (op.rt !== undefined) {
        const r = requireRoute(s, op.rt, 'pmtu');
        const p = bindIfPeerless(c, r, 1, 'update_pmtu', false);
        if (p) {
          learnPmtu(c, p, op.mtu);
          checkPeerPmtu(c, r, p);
        }
        return {};
      }
      const key = lookup(c, op.daddr, 1, 'frag_needed');
      if (key) learnPmtu(c, s.peers[key]!, op.mtu);
      put(c, key);
      return {};
    }
    case 'redirect': {
      if (!redirectRejected(op.gateway, op.from)) learnRedirectInPeer(c, op.daddr, op.gateway);
      return {};
    }
    case 'flush':
      flushRouteCache(s);
      return {};
    default:
      return stepShared(c, op);
  }
}
