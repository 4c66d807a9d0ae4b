/**
 * The routes of the routing-cache eras as the trace shows them, one record per lifetime: a route
 * keeps its peer until it is destroyed, its rt_peer_genid changes only through a stamp, and a new
 * route starts stamped as its era says (0 without a peer since 2.6.39; the seed stamps always).
 */
import type { CacheEra } from '../../core/eras.ts';
import type { CanonicalEvent } from '../../trace/events.ts';
import { eventKey } from '../../trace/callctx.ts';
import { type Recorder, Ring } from '../coverage.ts';
import type { Overlaps, Window } from '../overlap.ts';
import { isNull, MAX_CONTEXTS, type RouteRec, u32 } from './common.ts';
import { type ReplayStage, revalidatedUnseen, unseenRevalidation } from '../stage-rules.ts';

export class RouteTable {
  private readonly routes = new Map<string, RouteRec>();
  /**
   * The live routes by destination: a lookup not tied to a route touches the routes to its
   * destination only, and a busy host's cache holds many thousands of routes (a walk of all of
   * them per lookup made replay quadratic).
   */
  private readonly byDaddr = new Map<string, Set<RouteRec>>();
  /** Flushes seen: a route first seen before the latest is expired. */
  flushCount = 0;
  /**
   * Flushes whose context has shown nothing since their probe, by context: the probe fires at
   * rt_cache_flush's entry, before rt_cache_invalidate moves the namespace's rt_genid, so a check
   * on another CPU may still find the route live until the flush's context moves on.
   */
  private readonly openFlushes = new Map<number, number>();
  /**
   * update_pmtu calls in progress, by context: the inlined rt_bind_peer's cmpxchg and stamp, and
   * the learning branch's stamp, come after the entry probe (and after its own lookup's return),
   * until the call's return probe. Open until the context shows anything but that lookup.
   */
  private readonly updates = new Map<number, { w: Window; r: RouteRec }>();

  constructor(
    private readonly era: CacheEra,
    private readonly rec: Recorder,
    private readonly historySize: number,
    private readonly overlaps: Overlaps,
    readonly stage: ReplayStage = 'unknown',
    /** The global genid as last observed (the genid tracker's). */
    private readonly genidNow: () => number | undefined = () => undefined,
    /** Calls may run at once (several CPUs, or CPUs not shown). */
    private readonly mayBeConcurrent: () => boolean = () => true,
  ) {}

  get(ptr: string): RouteRec | undefined {
    return this.routes.get(ptr);
  }

  /** The route's record, created at its first sight (with the destination when the event has it). */
  route(ptr: string, e: CanonicalEvent): RouteRec {
    let r = this.routes.get(ptr);
    if (!r) {
      r = { ptr, mayStamp: false, flushAtSight: this.flushCount, incomplete: false, hist: new Ring(this.historySize) };
      this.routes.set(ptr, r);
      this.rec.routes++;
    }
    if (e.daddr !== undefined && r.daddr === undefined) {
      r.daddr = e.daddr;
      const same = this.byDaddr.get(e.daddr);
      if (same) same.add(r);
      else this.byDaddr.set(e.daddr, new Set([r]));
      // A route first seen while an unattributed lookup for its destination may still be
      // finishing (a capture that began after the route was made): that bind may stamp it too.
      if (this.trailingLookups.size > 0) {
        for (const [ctx, l] of this.trailingLookups) {
          if (l.daddr !== e.daddr || (l.onlyPeerless && r.peer !== undefined && !isNull(r.peer))) continue;
          r.mayStamp = true;
          this.trailing.get(ctx)?.push({ w: this.overlaps.open(r.ptr, ctx), r });
        }
      }
    }
    return r;
  }

  /** The unattributed lookups that may still be finishing (trailing), by context: their destination. */
  private readonly trailingLookups = new Map<number, { daddr: string; onlyPeerless: boolean }>();

  /** The route's record is gone (destroyed, or its pointer reused by a new route). */
  private forget(ptr: string): void {
    const r = this.routes.get(ptr);
    if (!r) return;
    this.routes.delete(ptr);
    if (r.daddr === undefined) return;
    const same = this.byDaddr.get(r.daddr);
    if (same?.delete(r) && same.size === 0) this.byDaddr.delete(r.daddr);
  }

  /**
   * Binds an unattributed lookup may still be finishing, per context: rt_bind_peer's cmpxchg and
   * stamp come after the lookup's return probe, so another CPU's check may read the route before
   * them and find it bound and current an instant later. Open until the context's next event.
   */
  private readonly trailing = new Map<number, { w: Window; r: RouteRec }[]>();

  /**
   * Context `ctx` shows an event: the binds its last lookup may have been finishing are done. Each
   * may have stamped its route after another context's check read it (that check cleared
   * `mayStamp`), so the route's next reading may differ with no stamp in the trace.
   */
  contextMoved(ctx: number, e?: CanonicalEvent): void {
    if (this.openFlushes.size > 0) this.openFlushes.delete(ctx);
    if (this.updates.size > 0) {
      const u = this.updates.get(ctx);
      // (The path's own lookup prints no route: bind / bind_ret for its destination.)
      if (u && !(e && (e.kind === 'bind' || e.kind === 'bind_ret') && e.rt === undefined)) {
        this.overlaps.close(u.w);
        if (this.routes.get(u.r.ptr) === u.r) u.r.mayStamp = true;
        this.updates.delete(ctx);
      }
    }
    if (this.trailing.size === 0) return;
    const ws = this.trailing.get(ctx);
    if (!ws) return;
    this.trailingLookups.delete(ctx);
    for (const { w, r } of ws) {
      this.overlaps.close(w);
      if (this.routes.get(r.ptr) === r) r.mayStamp = true;
    }
    this.trailing.delete(ctx);
  }

  /** A flush's probe in context `ctx`: the routes seen so far expire once its invalidation is done. */
  onFlush(ctx: number): void {
    this.flushCount++;
    if (this.openFlushes.size >= MAX_CONTEXTS) this.openFlushes.clear();
    this.openFlushes.set(ctx, this.flushCount);
  }

  /**
   * Is the route expired at a check's entry? `maybe`: only flushes still in progress (their
   * rt_genid move not known to be done) would expire it.
   */
  expired(r: RouteRec): 'yes' | 'no' | 'maybe' {
    const after = this.flushCount - r.flushAtSight;
    if (after <= 0) return 'no';
    let open = 0;
    for (const n of this.openFlushes.values()) if (n > r.flushAtSight) open++;
    return open < after ? 'yes' : 'maybe';
  }

  /** Lost events: routes keep their records but their history is incomplete. */
  gap(): void {
    this.openFlushes.clear();
    this.updates.clear();
    this.trailing.clear(); // (their windows went with the overlaps' reset)
    this.trailingLookups.clear();
    for (const r of this.routes.values()) {
      if (!r.incomplete) this.rec.incompleteRoutes++;
      r.incomplete = true;
    }
  }

  /**
   * A lookup for `daddr` not attributed to a route (an inlined rt_bind_peer, e.g. in
   * __ip_select_ident) may bind and stamp any live route to that destination.
   */
  mayBeStampedFor(daddr: string, ctx: number, onlyPeerless = false): void {
    let ws = this.trailing.get(ctx);
    if (!ws) {
      if (this.trailing.size >= MAX_CONTEXTS) for (const k of [...this.trailing.keys()]) this.contextMoved(k);
      this.trailing.set(ctx, (ws = []));
    }
    this.trailingLookups.set(ctx, { daddr, onlyPeerless });
    const same = this.byDaddr.get(daddr);
    if (!same) return;
    for (const r of same) {
      if (onlyPeerless && r.peer !== undefined && !isNull(r.peer)) continue;
      r.mayStamp = true;
      ws.push({ w: this.overlaps.open(r.ptr, ctx), r });
    }
  }

  /**
   * Cross-event consistency of a route's peer and genid as an entry event shows them (a check, a
   * bind naming its route, a PMTU/redirect path on it).
   */
  sameState(r: RouteRec, e: CanonicalEvent): void {
    const peer = e.peer;
    // Another CPU/task has a call on this route open: this entry probe may have read the route
    // before that call's bind or stamp which the trace printed first (overlap.ts).
    const racing = this.overlaps.othersOpen(r.ptr, eventKey(e));
    if (peer !== undefined) {
      if (r.incomplete) this.rec.unchecked('bind-never-replaces-peer', 'route history crosses lost events');
      else if (racing && isNull(peer) && r.peer !== undefined && !isNull(r.peer)) {
        // Read before another CPU/task's bind that the trace printed first: the route keeps the
        // peer that call installed.
        this.rec.unchecked('bind-never-replaces-peer', 'read before a bind on another CPU/task');
      } else if (r.peer !== undefined && !isNull(r.peer)) {
        if (peer !== r.peer) {
          this.rec.fail('bind-never-replaces-peer', e, `peer ${r.peer}`, `peer ${peer}`, `route ${r.ptr} changed its peer from ${r.peer} to ${peer}`, r.hist, r.ptr);
        } else this.rec.pass('bind-never-replaces-peer');
        r.peer = peer;
      } else r.peer = peer;
    }
    if (e.rtGenid !== undefined) {
      const g = u32(e.rtGenid);
      if (r.rtGenid !== undefined && g !== r.rtGenid) {
        if (r.incomplete) this.rec.unchecked('route-genid-changes-only-by-stamp', 'route history crosses lost events');
        else if (r.mayStamp) this.rec.unchecked('route-genid-changes-only-by-stamp', 'an unattributed bind or update_pmtu may have stamped it');
        else if (racing) {
          // Stamped meanwhile, or read before a stamp printed first: which value is newer is not
          // known until the next stamp this replay sees.
          this.rec.unchecked('route-genid-changes-only-by-stamp', 'a call on another CPU/task may stamp it meanwhile');
          r.rtGenid = undefined;
          return;
        } else if (revalidatedUnseen(this.era, this.stage) && !this.aheadOfGenid(g) && (u32(g - r.rtGenid) < 0x80000000 || this.mayBeConcurrent())) {
          // A revalidation stamps the genid of its moment: forward, and back only where two
          // stamps may have raced (an older read written last).
          this.rec.unchecked('route-genid-changes-only-by-stamp', unseenRevalidation(this.stage));
        } else {
          this.rec.fail('route-genid-changes-only-by-stamp', e, `rt_peer_genid ${r.rtGenid}`, `rt_peer_genid ${g}`, `route ${r.ptr} rt_peer_genid changed from ${r.rtGenid} to ${g} with no stamp in between`, r.hist, r.ptr);
        }
      } else if (r.rtGenid !== undefined) this.rec.pass('route-genid-changes-only-by-stamp');
      r.rtGenid = g;
    }
  }

  /** A value the global genid has not reached yet: no stamp, seen or unseen, can have read it. */
  private aheadOfGenid(v: number): boolean {
    const G = this.genidNow();
    if (G === undefined) return false;
    const d = u32(v - G);
    return d !== 0 && d < 0x80000000;
  }

  /** A PMTU/redirect path naming its route (update_pmtu): it may bind and pre-stamp it. */
  onPath(e: CanonicalEvent, rt: string): void {
    const r = this.route(rt, e);
    r.hist.push(e);
    if (e.peer !== undefined || e.rtGenid !== undefined) this.sameState(r, e);
    r.mayStamp = true;
    const k = eventKey(e);
    this.overlaps.touch(rt, k);
    if (e.kind === 'pmtu') {
      // update_pmtu binds and stamps its route after this probe: a window until its return.
      const old = this.updates.get(k);
      if (old) this.overlaps.close(old.w);
      if (this.updates.size >= MAX_CONTEXTS) for (const c of [...this.updates.keys()]) this.contextMoved(c);
      this.updates.set(k, { w: this.overlaps.open(rt, k), r });
    }
  }

  /** A route created (its lookup and genid already taken): `G` is the genid as last observed. */
  onRoute(e: CanonicalEvent, rt: string, G0: number | undefined): void {
    this.forget(rt); // pointer reuse: a new route
    const r = this.route(rt, e);
    r.hist.push(e);
    r.peer = e.peer;
    if (e.rtGenid === undefined) return;
    r.rtGenid = u32(e.rtGenid);
    const G = e.genid ?? G0;
    if (G === undefined || e.peer === undefined) return this.rec.unchecked('new-route-stamp', 'peer or genid at creation not observed');
    const want = this.era === 'seed' ? u32(G) : this.era === 'pre-genid' ? r.rtGenid : isNull(e.peer) ? 0 : u32(G);
    if (r.rtGenid === want) this.rec.pass('new-route-stamp');
    else this.rec.fail('new-route-stamp', e, `rt_peer_genid ${want}`, `rt_peer_genid ${r.rtGenid}`, `new route ${rt} stamped ${r.rtGenid}`, r.hist, r.ptr);
  }

  /** A route destroyed: it must still hold the peer it had. */
  onFree(e: CanonicalEvent, rt: string): void {
    const r = this.routes.get(rt);
    if (!r) return;
    r.hist.push(e);
    if (e.peer !== undefined && !r.incomplete && r.peer !== undefined && !isNull(r.peer)) {
      if (e.peer === r.peer) this.rec.pass('bind-never-replaces-peer');
      else this.rec.fail('bind-never-replaces-peer', e, `peer ${r.peer}`, `peer ${e.peer}`, `route ${r.ptr} was destroyed holding another peer`, r.hist, r.ptr);
    }
    this.forget(rt);
  }
}
