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
  type Ctx, bindPeer, checkPeerPmtu, checkPeerRedir, freeRoute, learnPmtu, lookup, newRoute, put, redirectRejected, refreshExpiry,
} from '../primitives.ts';

export function stepPreGenid(c: Ctx, op: Operation): OpResult {
  const s = c.s;
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      bindPeer(c, r, 0, 'route_new', false);
      const p = r.peer ? s.peers[r.peer] : undefined;
      if (p) {
        checkPeerPmtu(c, r, p);
        if (p.redirectLearned && p.redirectLearned !== r.gateway) checkPeerRedir(c, r, p, false);
      }
      return { peer: r.peer };
    }
    case 'bind': {
      const r = requireRoute(s, op.rt, 'bind');
      bindPeer(c, r, op.create, 'bind', false);
      return { peer: r.peer };
    }
    case 'check': {
      const r = requireRoute(s, op.rt, 'check');
      return { valid: !isExpired(s, r), peer: r.peer };
    }
    case 'peer_new':
      put(c, lookup(c, op.daddr, 1, 'peer_new'));
      return {};
    case 'bump':
      return {}; // there is no genid to bump
    case 'pmtu': {
      if (op.rt !== undefined) {
        const r = requireRoute(s, op.rt, 'pmtu');
        if (r.peer === null) bindPeer(c, r, 1, 'update_pmtu', false);
        const p = r.peer ? s.peers[r.peer] : undefined;
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
      if (redirectRejected(op.gateway, op.from)) return {};
      const key = lookup(c, op.daddr, 1, 'redirect');
      if (key) {
        s.peers[key]!.redirectLearned = op.gateway;
        c.fx.push({ kind: 'learn_redirect', daddr: op.daddr, gateway: op.gateway });
      }
      put(c, key);
      return {};
    }
    case 'flush':
      s.netGenid = (s.netGenid + 1) >>> 0;
      refreshExpiry(s);
      return {};
    case 'tick':
      s.now += op.ticks;
      return {};
    case 'route_free':
      freeRoute(c, requireRoute(s, op.rt, 'route_free'));
      return {};
  }
}
