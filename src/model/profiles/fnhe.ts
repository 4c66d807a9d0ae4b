/**
 * Profile `fnhe`: kernels 3.6+ (no routing cache, no rt->peer, no global peer genid);
 * stages S6/S7 in src/model/README.md, checked against the Debian 6.1 traces.
 * - a route is created with rt_genid = the namespace's and obsolete = FORCE_CHK (-1). Without an
 *   exception for its destination it is the next hop's cached route (shared per next hop); with a
 *   current exception it is that exception's route and takes its PMTU / gateway;
 * - check: valid iff obsolete == FORCE_CHK and rt_genid is current (nothing is re-stamped);
 * - PMTU / redirect -> update_or_create_fnhe on the next hop: a NEW exception KILLs (-2) the next
 *   hop's cached routes (their next check fails, the socket looks up again and binds the exception);
 *   an EXISTING exception is updated in place together with its own routes (no kill);
 *   PMTU only lowers (a larger value than the route's MTU is ignored); below min_pmtu it is
 *   clamped and locked; a redirect from anyone but the current gateway is ignored, and one to an
 *   unresolved neighbour only kicks resolution;
 * - flush: rt_genid += 1 (every route stale); the /proc flush also bumps fnhe_genid, and an
 *   exception with an old fnhe_genid is reset when a new route binds it (rt_bind_exception),
 *   its routes marked DEAD (2). update_or_create_fnhe on a stale exception only refreshes its
 *   genid and keeps the rest (kernel behaviour).
 */
import type { ExceptionState, Operation, OpResult, RouteState } from '../types.ts';
import { configOf, isExpired, liveRoutes, requireRoute } from '../state.ts';
import { type Ctx, flushRouteCache, lookup, newRoute, put } from '../primitives.ts';
import { stepShared } from './common.ts';

const FORCE_CHK = -1;
const KILL = -2;
const DEAD = 2;

function nexthopOf(c: Ctx, daddr: string, rt?: RouteState): string {
  if (rt?.nexthop) return rt.nexthop;
  for (const r of liveRoutes(c.s)) if (r.daddr === daddr && r.nexthop) return r.nexthop;
  return configOf(c.s).gateway;
}

/** find_exception: an expired exception is deleted on the way (ip_del_fnhe: its routes become DEAD). */
function findException(c: Ctx, daddr: string, nh: string): ExceptionState | undefined {
  const e = c.s.exceptions[daddr];
  if (!e || (e.nexthop ?? configOf(c.s).gateway) !== nh) return undefined;
  if (e.expires !== 0 && c.s.now > e.expires) {
    for (const r of exceptionRoutes(c, daddr)) r.obsolete = DEAD;
    delete c.s.exceptions[daddr];
    return undefined;
  }
  return e;
}

/**
 * The output lookup that precedes __ip_rt_update_pmtu / __ip_do_redirect when no socket route is
 * given: expired exceptions disappear, a stale one (old fnhe_genid) is reset by rt_bind_exception.
 */
function lookupPath(c: Ctx, daddr: string, nh: string): void {
  const e = findException(c, daddr, nh);
  if (e && e.genid !== c.s.fnheGenid) resetException(c, e);
}

function resetException(c: Ctx, e: ExceptionState): void {
  e.genid = c.s.fnheGenid;
  e.gateway = '';
  e.pmtu = 0;
  e.expires = 0;
  e.locked = false;
  for (const o of exceptionRoutes(c, e.daddr)) o.obsolete = DEAD;
  c.fx.push({ kind: 'exception_reset', daddr: e.daddr });
}

function exceptionRoutes(c: Ctx, daddr: string): RouteState[] {
  return liveRoutes(c.s).filter((r) => r.cachedIn === 'exception' && r.daddr === daddr && r.obsolete === FORCE_CHK);
}

/** fill_route_from_fnhe */
function fill(r: RouteState, e: ExceptionState): void {
  if (e.pmtu) {
    r.mtu = e.pmtu;
    r.rtPmtu = e.pmtu;
  }
  if (e.gateway) {
    r.gateway = e.gateway;
    r.redirected = true;
  }
}

function updateOrCreate(c: Ctx, nh: string, daddr: string, gw: string, pmtu: number, lock: boolean, expires: number): void {
  const s = c.s;
  const e = s.exceptions[daddr];
  if (e && (e.nexthop ?? configOf(s).gateway) === nh) {
    if (e.genid !== s.fnheGenid) e.genid = s.fnheGenid;
    if (gw) e.gateway = gw;
    if (pmtu) {
      e.pmtu = pmtu;
      e.locked = lock;
    }
    e.expires = Math.max(1, expires);
    for (const r of exceptionRoutes(c, daddr)) fill(r, e);
    c.fx.push({ kind: 'exception', daddr, created: false, pmtu: e.pmtu, gateway: e.gateway });
    return;
  }
  s.exceptions[daddr] = { daddr, pmtu, gateway: gw, genid: s.fnheGenid, expires: Math.max(1, expires), locked: lock, nexthop: nh };
  c.fx.push({ kind: 'exception', daddr, created: true, pmtu, gateway: gw });
  // "Exception created; mark the cached routes for the nexthop stale."
  for (const r of liveRoutes(s)) {
    if (r.cachedIn === 'nexthop' && r.nexthop === nh && r.obsolete === FORCE_CHK) {
      r.obsolete = KILL;
      c.fx.push({ kind: 'kill', rt: r.id });
    }
  }
}

/** The gateway and MTU a lookup for daddr would give now (the route __ip_rt_update_pmtu / __ip_do_redirect see). */
function currentPath(c: Ctx, daddr: string, nh: string): { gateway: string; mtu: number } {
  const e = c.s.exceptions[daddr];
  const cfg = configOf(c.s);
  if (e && (e.nexthop ?? cfg.gateway) === nh && e.genid === c.s.fnheGenid && !(e.expires !== 0 && c.s.now > e.expires)) {
    return { gateway: e.gateway || nh, mtu: e.pmtu || cfg.deviceMtu };
  }
  return { gateway: nh, mtu: cfg.deviceMtu };
}

export function stepFnhe(c: Ctx, op: Operation): OpResult {
  const s = c.s;
  const cfg = configOf(s);
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      const e = findException(c, op.daddr, r.nexthop!);
      if (!e) {
        r.cachedIn = 'nexthop';
        return { peer: null };
      }
      if (e.genid !== s.fnheGenid) {
        // rt_bind_exception: a stale exception is reset and its routes flushed.
        resetException(c, e);
      } else {
        for (const o of exceptionRoutes(c, op.daddr)) if (o !== r) o.obsolete = DEAD; // the previous fnhe_rth_output
      }
      r.cachedIn = 'exception';
      fill(r, e);
      return { peer: null };
    }
    case 'bind':
      // No rt->peer since 3.6; inet_getpeer is still used (ICMP rate limit) but binds nothing.
      requireRoute(s, op.rt, 'bind');
      put(c, lookup(c, requireRoute(s, op.rt, 'bind').daddr, op.create, 'bind', op.rt));
      return { peer: null };
    case 'check': {
      const r = requireRoute(s, op.rt, 'check');
      return { valid: r.obsolete === FORCE_CHK && !isExpired(s, r), peer: null };
    }
    case 'bump':
      return {}; // no global peer genid in this era
    case 'pmtu': {
      const r = op.rt !== undefined ? requireRoute(s, op.rt, 'pmtu') : undefined;
      const nh = nexthopOf(c, op.daddr, r);
      if (!r) lookupPath(c, op.daddr, nh);
      // Kernel subtlety: old_mtu is the MTU of the route the update comes through, so an update
      // through a stale socket route with a larger MTU can RAISE an existing exception's PMTU.
      const oldMtu = r ? r.mtu : currentPath(c, op.daddr, nh).mtu;
      let mtu = op.mtu;
      let lock = false;
      if (mtu < cfg.minPmtu) {
        lock = true;
        mtu = Math.min(oldMtu, cfg.minPmtu);
      }
      if (oldMtu < mtu) return {}; // a PMTU never raises the route's MTU
      if (r && r.cachedIn === 'exception' && r.mtu === mtu && !lock) return {};
      updateOrCreate(c, nh, op.daddr, '', mtu, lock, s.now + cfg.mtuExpires);
      return {};
    }
    case 'redirect': {
      const r = op.rt !== undefined ? requireRoute(s, op.rt, 'redirect') : undefined;
      const nh = nexthopOf(c, op.daddr, r);
      if (!r) lookupPath(c, op.daddr, nh);
      const gw = r ? r.gateway : currentPath(c, op.daddr, nh).gateway;
      if (gw !== op.from || op.gateway === op.from || op.gateway === '' || op.gateway === '0.0.0.0') return {};
      if (cfg.unresolved.includes(op.gateway)) return {}; // neighbour not valid: only resolution is kicked
      updateOrCreate(c, nh, op.daddr, op.gateway, 0, false, s.now + 300);
      if (r) {
        r.obsolete = KILL; // kill_route (the TCP path through ip_do_redirect)
        c.fx.push({ kind: 'kill', rt: r.id });
      }
      return {};
    }
    case 'flush':
      flushRouteCache(s);
      if (op.proc ?? true) s.fnheGenid = (s.fnheGenid + 1) >>> 0;
      return {};
    default:
      return stepShared(c, op);
  }
}
