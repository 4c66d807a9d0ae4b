/**
 * The protocol's invariants, as named predicates over one transition (before, op, after, result).
 * Each says which eras it binds. `checkInvariants` runs the ones of the state's era.
 * Replay uses the same names for the checks it makes on real traces.
 */
import type { Era, Invariant, ModelState, Operation, OpResult, RouteState } from './types.ts';
import type { ModelInvariantId } from '../core/invariants.ts';
import { isExpired, liveRoute, liveRoutes, peerIdentity, u32 } from './state.ts';

const GENID_ERAS: readonly Era[] = ['seed', 'pmtu-redirect'];
const CACHE_ERAS: readonly Era[] = ['pre-genid', 'seed', 'pmtu-redirect'];
const ALL: readonly Era[] = ['pre-genid', 'seed', 'pmtu-redirect', 'fnhe'];

/** A route that exists in both states as the same route (not freed, not re-created by this op). */
function survivors(before: ModelState, op: Operation, after: ModelState): [RouteState, RouteState][] {
  const out: [RouteState, RouteState][] = [];
  for (const b of liveRoutes(before)) {
    if (op.op === 'route_new' && op.rt === b.id) continue;
    const a = liveRoute(after, b.id);
    if (a) out.push([b, a]);
  }
  return out;
}

function lookups(result: OpResult) {
  return (result.effects ?? []).filter((e) => e.kind === 'lookup');
}

const lateStage = (s: ModelState) => s.stage === 'S4' || s.stage === 'S5';

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'check-restamps',
    description: "After a successful check the route's rt_peer_genid equals the global genid.",
    eras: GENID_ERAS,
    check(_b, op, after, res) {
      if (op.op !== 'check' || !res.valid) return undefined;
      const r = liveRoute(after, op.rt);
      if (r && r.peerGenid !== after.genid) return `route ${op.rt} valid with rt_peer_genid ${r.peerGenid} != genid ${after.genid}`;
      return undefined;
    },
  },
  {
    name: 'bind-never-replaces-peer',
    description: 'Once a route holds a peer it keeps that same peer until it is destroyed (the cmpxchg from NULL never replaces one).',
    eras: CACHE_ERAS,
    check(before, op, after) {
      for (const [b, a] of survivors(before, op, after)) {
        if (b.peer === null) continue;
        if (peerIdentity(before, b.peer) !== peerIdentity(after, a.peer)) return `route ${b.id} peer changed from ${b.peer} to ${a.peer}`;
      }
      return undefined;
    },
  },
  {
    name: 'lookup-only-never-creates-peer',
    description: 'A lookup-only bind (create=0: the check, route creation) never brings a peer into existence.',
    eras: CACHE_ERAS,
    check(before, op, after, res) {
      const lookupOnly = op.op === 'check' || op.op === 'route_new' || (op.op === 'bind' && op.create === 0);
      if (!lookupOnly) return undefined;
      for (const l of lookups(res)) if (l.kind === 'lookup' && l.create === 0 && l.created) return `create=0 lookup created a peer for ${l.daddr}`;
      for (const k in after.peers) if (!before.peers[k]) return `a peer for ${after.peers[k]!.daddr} appeared during ${op.op}`;
      return undefined;
    },
  },
  {
    name: 'expired-route-fails-untouched',
    description: 'A check of an expired (flushed) route returns NULL and is never re-bound or re-stamped.',
    eras: ALL,
    check(before, op, after, res) {
      if (op.op !== 'check') return undefined;
      const b = liveRoute(before, op.rt);
      if (!b || !isExpired(before, b)) return undefined;
      if (res.valid) return `expired route ${op.rt} reported valid`;
      const a = liveRoute(after, op.rt)!;
      if (a.peer !== b.peer || a.peerGenid !== b.peerGenid || a.mtu !== b.mtu || a.gateway !== b.gateway) return `expired route ${op.rt} was modified by the check`;
      if (lookups(res).length > 0) return `expired route ${op.rt} looked its peer up`;
      return undefined;
    },
  },
  {
    name: 'current-check-is-noop',
    description: 'A check of a live route whose rt_peer_genid equals the global genid changes nothing and looks nothing up.',
    eras: GENID_ERAS,
    check(before, op, after, res) {
      if (op.op !== 'check') return undefined;
      const b = liveRoute(before, op.rt);
      if (!b || isExpired(before, b) || b.peerGenid !== before.genid) return undefined;
      const a = liveRoute(after, op.rt)!;
      if (!res.valid) return `current route ${op.rt} failed its check`;
      if (lookups(res).length > 0 || a.peer !== b.peer || a.peerGenid !== b.peerGenid || a.mtu !== b.mtu || a.gateway !== b.gateway) return `current route ${op.rt} was modified by its check`;
      return undefined;
    },
  },
  {
    name: 'slow-path-attaches-existing-peer',
    description: "A check that finds the route's genid stale and the route peerless attaches the destination's existing peer.",
    eras: GENID_ERAS,
    check(before, op, after, res) {
      if (op.op !== 'check' || !res.valid) return undefined;
      const b = liveRoute(before, op.rt);
      if (!b || b.peer !== null || b.peerGenid === before.genid || isExpired(before, b)) return undefined;
      const existing = before.peers[b.daddr];
      if (!existing) return undefined;
      const a = liveRoute(after, op.rt)!;
      if (peerIdentity(after, a.peer) !== peerIdentity(before, b.daddr)) return `route ${op.rt} took the slow path but did not attach the existing peer of ${b.daddr}`;
      return undefined;
    },
  },
  {
    name: 'peer-reaches-peerless-route',
    description:
      'Every route that was peerless when the peer for its destination appeared holds that peer after its next successful check following a genid bump (fails under the 2^32 ABA wrap).',
    eras: GENID_ERAS,
    check(before, op, after, res) {
      if (op.op !== 'check' || !res.valid) return undefined;
      const a = liveRoute(after, op.rt);
      if (!a || a.peer !== null) return undefined;
      const p = before.peers[a.daddr];
      if (!p) return undefined;
      const lastBump = before.lastBumpSeq ?? -1;
      const b = liveRoute(before, op.rt)!;
      if (lastBump >= (p.bornSeq ?? 0) && (b.stampSeq ?? -1) < lastBump) {
        return `route ${op.rt} still has no peer although the peer of ${a.daddr} exists and the genid moved since (rt_peer_genid ${b.peerGenid} == genid ${before.genid}: ABA?)`;
      }
      return undefined;
    },
  },
  {
    name: 'genid-steps-by-one-per-bump',
    description:
      'The global genid moves only in the bump paths (PMTU learning, redirects, explicit bumps), by exactly +1 per bump modulo 2^32; every other operation leaves it alone.',
    eras: GENID_ERAS,
    check(before, op, after) {
      const delta = u32(after.genid - before.genid);
      if (op.op === 'bump') return delta === u32(op.times ?? 1) ? undefined : `bump moved genid by ${delta}`;
      if (after.era === 'pmtu-redirect' && (op.op === 'pmtu' || op.op === 'redirect')) return delta <= 1 ? undefined : `${op.op} moved genid by ${delta}`;
      return delta === 0 ? undefined : `${op.op} moved genid by ${delta}`;
    },
  },
  {
    name: 'flush-keeps-peer-genid',
    description: 'A route cache flush moves the namespace generation, never the global peer genid.',
    eras: GENID_ERAS,
    check(before, op, after) {
      if (op.op !== 'flush') return undefined;
      return before.genid === after.genid ? undefined : `flush moved genid ${before.genid} -> ${after.genid}`;
    },
  },
  {
    name: 'flush-expires-every-route',
    description: 'After a flush every route that existed is expired: its next check returns NULL.',
    eras: ALL,
    check(_b, op, after) {
      if (op.op !== 'flush') return undefined;
      for (const r of liveRoutes(after)) if (!isExpired(after, r)) return `route ${r.id} survived the flush`;
      return undefined;
    },
  },
  {
    name: 'route-mtu-only-lowers',
    description:
      "A learned PMTU only ever lowers a route's MTU; it rises again only when a learned PMTU expires and the check that notices restores pmtu_orig (the seed commit alone: never, PMTU lives in the route's metrics).",
    eras: ['pre-genid', 'seed', 'pmtu-redirect'],
    check(before, op, after, res) {
      for (const [b, a] of survivors(before, op, after)) {
        if (a.mtu <= b.mtu) continue;
        const restored = (res.effects ?? []).some((e) => e.kind === 'restore_pmtu' && e.rt === a.id);
        if (!restored) return `route ${a.id} MTU rose ${b.mtu} -> ${a.mtu} during ${op.op}`;
      }
      return undefined;
    },
  },
  {
    name: 'pmtu-never-raises-its-path',
    description:
      'Modern: a PMTU update never leaves the exception above the MTU of the route it came through (old_mtu < mtu returns). An update through a stale route with a larger MTU CAN raise an existing exception: kernel behaviour.',
    eras: ['fnhe'],
    check(before, op, after, res) {
      if (op.op !== 'pmtu') return undefined;
      const r = op.rt !== undefined ? liveRoute(before, op.rt) : undefined;
      for (const e of res.effects ?? []) {
        if (e.kind !== 'exception' || !e.pmtu) continue;
        const old = before.exceptions[e.daddr];
        const current = old && old.genid === before.fnheGenid && old.pmtu && (old.expires === 0 || before.now <= old.expires);
        const limit = r ? r.mtu : current ? old.pmtu : (after.config?.deviceMtu ?? Infinity);
        if (e.pmtu > limit) return `exception for ${e.daddr} set to ${e.pmtu} above ${limit}`;
      }
      return undefined;
    },
  },
  {
    name: 'learned-pmtu-marked-valid',
    description: 'A PMTU that was learned has pmtu_expires != 0 (0 is the "nothing learned" sentinel; a computed 0 becomes 1).',
    eras: ['pmtu-redirect'],
    check(_b, op, after, res) {
      if (op.op !== 'pmtu') return undefined;
      for (const e of res.effects ?? []) {
        if (e.kind !== 'learn_pmtu') continue;
        const p = after.peers[e.daddr];
        if (p && p.pmtuExpires === 0) return `PMTU for ${e.daddr} learned with pmtu_expires 0`;
      }
      return undefined;
    },
  },
  {
    name: 'check-applies-learned-pmtu',
    description:
      "A check that runs check_peer_pmtu leaves the route's MTU as its rules say: an unexpired learned PMTU below the route's MTU is applied, an expired one restores pmtu_orig (only for the winner of the expiry), nothing learned leaves the MTU alone.",
    eras: ['pmtu-redirect'],
    check(before, op, after, res) {
      if (op.op !== 'check' || !res.valid) return undefined;
      const b = liveRoute(before, op.rt);
      const a = liveRoute(after, op.rt);
      if (!b || !a || a.peer === null || b.peerGenid === before.genid || isExpired(before, b)) return undefined;
      const p = before.peers[a.peer];
      if (!p) return undefined;
      if (p.pmtuExpires === 0) return a.mtu === b.mtu ? undefined : `route ${op.rt} MTU ${b.mtu} -> ${a.mtu} with nothing learned`;
      if (before.now < p.pmtuExpires) {
        const want = p.pmtuLearned < b.mtu ? p.pmtuLearned : b.mtu;
        return a.mtu === want ? undefined : `route ${op.rt} left at MTU ${a.mtu}, not the learned ${want}`;
      }
      const allowed = [b.mtu, ...(p.pmtuOrig !== 0 ? [p.pmtuOrig] : [])];
      return allowed.includes(a.mtu) ? undefined : `route ${op.rt} set to MTU ${a.mtu} on expiry (pmtu_orig ${p.pmtuOrig})`;
    },
  },
  {
    name: 'check-saves-pmtu-orig',
    description: "A check that applies a learned PMTU while the peer's pmtu_orig is 0 saves the route's MTU metric there first (once per peer).",
    eras: ['pmtu-redirect'],
    check(before, op, after, res) {
      if (op.op !== 'check' && !(op.op === 'pmtu' && op.rt !== undefined)) return undefined;
      for (const e of res.effects ?? []) {
        if (e.kind !== 'apply_pmtu') continue;
        const b = liveRoute(before, e.rt);
        const a = liveRoute(after, e.rt);
        if (!b || !a || a.peer === null) continue;
        const pb = before.peers[a.peer];
        const pa = after.peers[a.peer];
        if (!pa) continue;
        if ((!pb || pb.pmtuOrig === 0) && pa.pmtuOrig === 0) return `peer of ${a.daddr} applied its learned PMTU to route ${e.rt} without saving pmtu_orig`;
        if (pb && pb.pmtuOrig !== 0 && pa.pmtuOrig !== pb.pmtuOrig) return `peer of ${a.daddr} overwrote pmtu_orig ${pb.pmtuOrig} with ${pa.pmtuOrig}`;
      }
      return undefined;
    },
  },
  {
    name: 'check-applies-learned-redirect',
    description:
      "A check that finds a learned redirect other than the route's gateway switches the route to it (with RTCF_REDIRECTED once the neighbour is valid), or in 2.6.39-3.1 fails (NULL) while the new neighbour resolves; with no other redirect learned the gateway stays.",
    eras: ['pmtu-redirect'],
    check(before, op, after, res) {
      if (op.op !== 'check') return undefined;
      const b = liveRoute(before, op.rt);
      const a = liveRoute(after, op.rt);
      if (!b || !a || a.peer === null || b.peerGenid === before.genid || isExpired(before, b)) return undefined;
      const p = before.peers[a.peer];
      if (!p) return undefined;
      const pending = p.redirectLearned !== '' && p.redirectLearned !== b.gateway;
      if (!pending) return res.valid && a.gateway !== b.gateway ? `route ${op.rt} gateway ${b.gateway} -> ${a.gateway} with no redirect learned` : undefined;
      if (!res.valid) return lateStage(before) ? `route ${op.rt} check failed on a redirect in ${before.stage}` : undefined;
      if (a.gateway !== p.redirectLearned) return `route ${op.rt} kept gateway ${a.gateway}, learned ${p.redirectLearned}`;
      if (!lateStage(before) && !a.redirected) return `route ${op.rt} switched gateway without RTCF_REDIRECTED`;
      return undefined;
    },
  },
  {
    name: 'peer-holds-learned-pmtu',
    description: "After a PMTU path for a destination, its peer's learned PMTU, while valid, is no larger than the path's MTU floored at ip_rt_min_pmtu (learning only lowers a valid value).",
    eras: ['pmtu-redirect'],
    check(_b, op, after) {
      if (op.op !== 'pmtu') return undefined;
      const r = op.rt !== undefined ? liveRoute(after, op.rt) : undefined;
      const key = r ? r.peer : op.daddr;
      const p = key ? after.peers[key] : undefined;
      if (!p || p.pmtuExpires === 0) return undefined;
      const bound = Math.max(op.mtu, after.config?.minPmtu ?? 552);
      return p.pmtuLearned <= bound ? undefined : `peer of ${p.daddr} holds learned PMTU ${p.pmtuLearned} above ${bound}`;
    },
  },
  {
    name: 'new-peer-is-blank',
    description: 'A peer created by a lookup holds nothing learned: pmtu_expires 0, pmtu_orig 0, redirect_learned 0 (until a PMTU/redirect path or a check writes them).',
    eras: ['seed', 'pmtu-redirect'],
    check(before, op, after, res) {
      if (op.op === 'pmtu' || op.op === 'redirect') return undefined; // they learn right after creating
      for (const e of res.effects ?? []) {
        if (e.kind !== 'lookup' || !e.created || before.peers[e.daddr]) continue;
        const p = after.peers[e.daddr];
        if (p && (p.pmtuExpires !== 0 || p.pmtuOrig !== 0 || p.redirectLearned !== '')) return `new peer of ${e.daddr} created with state (expires ${p.pmtuExpires}, orig ${p.pmtuOrig}, redirect '${p.redirectLearned}')`;
      }
      return undefined;
    },
  },
  {
    name: 'update-pmtu-runs-check-peer-pmtu',
    description: "update_pmtu runs check_peer_pmtu on its route whenever the route has a peer, whether it learned something or not (46af3180: a PMTU frag_needed had already learned otherwise never reached the route).",
    eras: ['pmtu-redirect'],
    check(_b, op, after, res) {
      if (op.op !== 'pmtu' || op.rt === undefined) return undefined;
      const a = liveRoute(after, op.rt);
      if (!a || a.peer === null) return undefined;
      return (res.effects ?? []).some((e) => e.kind === 'peer_pmtu' && e.rt === op.rt) ? undefined : `update_pmtu on route ${op.rt} did not run check_peer_pmtu`;
    },
  },
  {
    name: 'update-pmtu-prestamps-route',
    description: 'update_pmtu that learns a new PMTU bumps the genid and stamps the calling route with the new value.',
    eras: ['pmtu-redirect'],
    check(before, op, after, res) {
      if (op.op !== 'pmtu' || op.rt === undefined) return undefined;
      if (!(res.effects ?? []).some((e) => e.kind === 'learn_pmtu')) return undefined;
      const a = liveRoute(after, op.rt);
      if (!a) return undefined;
      if (after.genid !== u32(before.genid + 1)) return `update_pmtu learned without bumping the genid`;
      return a.peerGenid === after.genid ? undefined : `update_pmtu left route ${op.rt} at genid ${a.peerGenid} != ${after.genid}`;
    },
  },
  {
    name: 'stranger-redirect-ignored',
    description: "A redirect from a router that is not the destination's current gateway changes nothing.",
    eras: ['pmtu-redirect', 'fnhe'],
    check(before, op, after) {
      if (op.op !== 'redirect') return undefined;
      if (before.era === 'pmtu-redirect' && !lateStage(before)) return undefined; // S2/S3 store any accepted redirect in the peer
      let gwNow: string[];
      if (before.era === 'fnhe') {
        // The gateway a lookup gives now: a current exception's, else the next hop.
        const e = before.exceptions[op.daddr];
        const current = e?.gateway && e.genid === before.fnheGenid && (e.expires === 0 || before.now <= e.expires);
        const nh = liveRoutes(before).find((r) => r.daddr === op.daddr)?.nexthop ?? before.config?.gateway ?? '';
        gwNow = [current ? e.gateway : nh];
        if (op.rt !== undefined) gwNow = [liveRoute(before, op.rt)?.gateway ?? ''];
      } else {
        gwNow = liveRoutes(before).filter((r) => r.daddr === op.daddr && !isExpired(before, r)).map((r) => r.gateway);
      }
      if (gwNow.length === 0 || gwNow.includes(op.from)) return undefined;
      if (before.genid !== after.genid) return `stranger redirect moved the genid`;
      for (const [b, a] of survivors(before, op, after)) if (a.gateway !== b.gateway || (a.obsolete === -2 && b.obsolete !== -2)) return `stranger redirect changed route ${a.id}`;
      // (The lookup on the way may delete an expired exception: that is not the redirect's doing.)
      for (const d in after.exceptions) {
        const x = after.exceptions[d]!;
        const y = before.exceptions[d];
        // (A stale exception reset by that lookup loses its gateway: also not the redirect's doing.)
        if (x.gateway && (!y || y.gateway !== x.gateway)) return `stranger redirect changed the exception of ${d}`;
      }
      return undefined;
    },
  },
  {
    name: 'check-fails-iff-stale',
    description: 'Modern dst_check returns NULL exactly when the route is not FORCE_CHK (killed or dead) or its rt_genid is no longer the namespace generation.',
    eras: ['fnhe'],
    check(before, op, _a, res) {
      if (op.op !== 'check') return undefined;
      const b = liveRoute(before, op.rt);
      if (!b) return undefined;
      const stale = b.obsolete !== -1 || isExpired(before, b);
      return res.valid === !stale ? undefined : `route ${op.rt} (obsolete ${b.obsolete}, expired ${isExpired(before, b)}) check returned ${res.valid ? 'dst' : 'NULL'}`;
    },
  },
  {
    name: 'new-exception-kills-nexthop-routes',
    description: "Creating a next-hop exception marks every route cached on that next hop DST_OBSOLETE_KILL, so sockets re-look-up and bind the exception.",
    eras: ['fnhe'],
    check(_b, op, after, res) {
      if (op.op !== 'pmtu' && op.op !== 'redirect') return undefined;
      for (const e of res.effects ?? []) {
        if (e.kind !== 'exception' || !e.created) continue;
        const nh = after.exceptions[e.daddr]?.nexthop;
        for (const r of liveRoutes(after)) {
          if (r.cachedIn === 'nexthop' && r.nexthop === nh && r.obsolete === -1) return `route ${r.id} on next hop ${nh} not killed by the new exception for ${e.daddr}`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'stale-exception-not-applied',
    description: 'A route created after a /proc flush does not take the PMTU or gateway of an exception learned before the flush.',
    eras: ['fnhe'],
    check(before, op, after) {
      if (op.op !== 'route_new') return undefined;
      const e = before.exceptions[op.daddr];
      if (!e || e.genid === before.fnheGenid) return undefined;
      const r = liveRoute(after, op.rt)!;
      const cfg = after.config;
      if (cfg && (r.mtu !== cfg.deviceMtu || r.gateway !== r.nexthop)) return `route ${op.rt} took the stale exception of ${op.daddr} (mtu ${r.mtu}, gw ${r.gateway})`;
      return undefined;
    },
  },
];

export function invariantsFor(era: Era): Invariant[] {
  return INVARIANTS.filter((i) => i.eras.includes(era));
}

export interface InvariantViolation {
  invariant: ModelInvariantId;
  message: string;
}

/** Every invariant of the era that fails on this transition. */
export function checkInvariants(before: ModelState, op: Operation, after: ModelState, result: OpResult): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const inv of INVARIANTS) {
    if (!inv.eras.includes(after.era)) continue;
    const msg = inv.check(before, op, after, result);
    if (msg !== undefined) out.push({ invariant: inv.name, message: msg });
  }
  return out;
}
