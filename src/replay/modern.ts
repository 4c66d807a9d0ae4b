/**
 * Replay of the fnhe era (3.6+; checked against Debian 6.1 traces): no rt->peer and no global
 * peer genid; the namespace rt_genid retires routes, next-hop exceptions carry PMTU/redirects.
 *
 * Predictions (profile `fnhe` of the model):
 * - dst_check returns NULL exactly when obsolete != FORCE_CHK (-1) or rt_genid != the namespace's
 *   rt_genid (both read by the entry probe: a purely local verdict);
 * - a new route carries its namespace's current rt_genid and obsolete -1, and its rt_genid never
 *   changes afterwards (pointer reuse after free / namespace teardown starts a new route);
 * - a namespace's rt_genid only grows; after an observed flush it is larger. Several namespaces
 *   are tracked by their net pointer; a value going back means the namespace was torn down and
 *   its pointer reused (genids restart at 0), which is recorded, not reported;
 * - an update_or_create_fnhe for the destination of a next-hop route (one created without an
 *   exception) that the update came through creates the exception, so that route is KILLed: its
 *   next check fails; a route created while a current exception existed carries the exception's
 *   PMTU at its first check, a stale one (fnhe_genid older than the namespace's) is not applied.
 */
import type { CanonicalEvent } from '../trace/events.ts';
import { type Recorder, Ring } from './coverage.ts';
import { eventKey } from '../trace/callctx.ts';
import { Overlaps, type Window } from './overlap.ts';
import { own } from '../trace/columns/cursor.ts';
import { CreationRaces, interruptsReturned, NexthopHistory } from './fnhe-races.ts';

const u32 = (x: number) => x >>> 0;
/** A NULL pointer as readers print it ('0x0', '0', '0x00000000'); cheap for the common non-NULL case. */
const isNull = (p: string | undefined) => p !== undefined && (p === '0x0' || p === '0' || (p.length > 3 && p.charCodeAt(2) === 48 && /^0x0+$/.test(p)));

interface RouteRec {
  ptr: string;
  net?: string;
  daddr?: string;
  rtGenid?: number;
  /** Created after a lookup that found an exception: its PMTU (0 = none) and whether it was current. */
  exception?: { mtu: number; current: boolean | undefined };
  /** Created without an exception: a next-hop cached route (or unknown if its creation was not seen). */
  nexthopRoute?: boolean;
  /** Next-hop routes created up to and including this one (when it is one). */
  createdAt?: number;
  /** Next-hop routes created by the time its kill was certainly done (its updater moved on). */
  killEndCreations?: number;
  /** Its lookup overlapped an exception update or another creation elsewhere (it may have missed the kill). */
  racedUpdate?: boolean;
  /** A new exception was created through this route: its next check must fail. */
  mustFail?: number;
  /** The act counter when it was killed: a check that entered before may have read it alive. */
  mustFailSeq?: number;
  /**
   * The context of the update that killed it, while that context shows nothing else: the probe
   * fires at update_or_create_fnhe's entry and the kill happens inside it, so a check on another
   * CPU meanwhile may still find the route alive.
   */
  killOpenIn?: number;
  /**
   * Other contexts whose update (for any destination) fired while the kill was open: two
   * updates race for fnhe_lock, and the later probe's may be the one that creates and kills.
   */
  killOpenMore?: number[];
  checkedOnce: boolean;
  hist: Ring;
}

interface NetRec {
  genid?: number;
  fnheGenid?: number;
  /** A flush was seen with this value before the bump: the next observation must be larger. */
  flushedFrom?: number;
}

/** Reasons for events this era does not use (constant strings: no allocation per event). */
const IGNORED: Partial<Record<string, string>> = {
  bind: 'bind (routes hold no inetpeer since 3.6)',
  bind_ret: 'bind_ret (routes hold no inetpeer since 3.6)',
  peer_new: 'peer_new (inetpeers no longer reach routes since 3.6)',
};

const RACED_CREATION = "the route's lookup overlapped an exception update or another route's creation on another CPU/task (it may not be in the slots the kill walks)";

export class ModernReplayer {
  private readonly routes = new Map<string, RouteRec>();
  /**
   * Routes that started with an exception and have not been checked yet: what an update of an
   * exception in place makes unknown. Kept apart so an update does not walk every live route (a
   * busy host's thousands, at every PMTU update).
   */
  private readonly startedWithException = new Set<RouteRec>();
  private readonly nets = new Map<string, NetRec>();
  /** The check entry waiting for its return, per context. */
  private readonly pending = new Map<number, { ev: CanonicalEvent; route: RouteRec; wentBack?: number; w: Window; seq: number; killOpenElsewhere: boolean; flushOpenElsewhere: boolean }>();
  /**
   * Open checks, marked when a flush or a new exception (which can make a route stale) happens
   * in another context during them: the entry probe read the route before the C did (overlap.ts).
   */
  private readonly overlaps = new Overlaps();
  /** Counts flushes and exception kills, to order them against check entries. */
  private actSeq = 0;
  /** Routes whose kill may still be in progress in its updater's context (RouteRec.killOpenIn). */
  private openKills: RouteRec[] = [];
  /** Next-hop route creations per namespace and the destinations updates were seen for. */
  private readonly nh = new NexthopHistory();
  private readonly creations = new CreationRaces<RouteRec>(
    (x) => (x.racedUpdate = true),
    (x, why, daddr) => {
      if (!x.exception || (daddr !== undefined && x.daddr !== undefined && daddr !== x.daddr)) return;
      if (why === 'fnhe-genid') x.exception.current = undefined;
      else this.exceptionChanged(x, 'the exception was updated on another CPU/task while the route bound it');
    },
  );
  /** The last exception found in a lookup, per context (consumed by the route that lookup creates). */
  private readonly lastFound = new Map<number, CanonicalEvent>();
  /** The last PMTU/redirect path entered, per context, with the route it came through. */
  private readonly lastPath = new Map<number, { ev: CanonicalEvent; route?: RouteRec }>();
  /** The namespace fnhe_genid when only one namespace shows it (update_or_create has no net). */
  private fnheGenid: number | undefined;

  constructor(
    private readonly rec: Recorder,
    private readonly historySize: number,
  ) {}

  /** The call context an entry and its return share (src/trace/callctx.ts): a number, no allocation. */
  private ctx(e: CanonicalEvent): number {
    return eventKey(e);
  }

  /** Something that can make routes stale happened in the context of `e`. */
  private acted(e: CanonicalEvent): void {
    this.actSeq++;
    this.overlaps.genidMoved(this.ctx(e));
  }

  private net(ptr: string | undefined): NetRec | undefined {
    if (!ptr) return undefined;
    let n = this.nets.get(ptr);
    if (n) return n;
    this.rec.namespaces++;
    this.nets.set(ptr, (n = {}));
    return n;
  }

  gap(): void {
    for (const r of this.routes.values()) {
      r.mustFail = undefined;
      r.exception = undefined;
      // Routes created and exceptions updated in the gap may have displaced it or killed it unseen.
      r.racedUpdate = true;
    }
    this.startedWithException.clear();
    this.rec.incompleteRoutes += this.routes.size;
    this.pending.clear();
    this.creations.reset();
    this.overlaps.reset();
    this.lastFound.clear();
    this.lastPath.clear();
    // A flush in the lost events may have moved the exception genid (read only now and then).
    this.fnheGenid = undefined;
    for (const n of this.nets.values()) n.flushedFrom = n.fnheGenid = undefined;
  }

  handle(e: CanonicalEvent): void {
    const returned = interruptsReturned(e);
    if (this.openKills.length) {
      const k = this.ctx(e);
      for (const r of this.openKills) {
        for (const c of [k, ...returned]) {
          if (r.killOpenMore?.includes(c)) r.killOpenMore = r.killOpenMore.filter((x) => x !== c);
          if (r.killOpenIn === c) r.killOpenIn = r.killOpenMore?.shift();
        }
        if (r.killOpenIn === undefined) r.killEndCreations = this.nh.creationsIn(r.net);
      }
      this.openKills = this.openKills.filter((r) => r.killOpenIn !== undefined);
    }
    this.creations.seen(this.ctx(e), returned, e.cpu, e.irq);
    switch (e.kind) {
      case 'route':
        return this.onRoute(e);
      case 'check':
        return this.onCheck(e);
      case 'check_ret':
        return this.onCheckRet(e);
      case 'flush':
        return this.onFlush(e);
      case 'fnhe':
        return this.onFnhe(e);
      case 'pmtu':
      case 'redirect':
        return this.onPath(e);
      case 'genid_bump':
        return this.onBump(e);
      case 'route_free':
        if (e.rt) this.forget(e.rt);
        return;
      case 'marker':
        return;
      default:
        this.rec.ignore(IGNORED[e.kind] ?? e.kind);
    }
  }

  /**
   * An observation of a namespace's rt_genid. Returns the previous value when this one is lower
   * (the caller decides whether that is a torn-down namespace or a fault).
   */
  private observeNet(_e: CanonicalEvent, net: string | undefined, value: number | undefined, inferred = false): number | undefined {
    const n = this.net(net);
    if (!n || value === undefined) return undefined;
    value = u32(value);
    if (n.genid !== undefined && value !== n.genid) {
      const delta = u32(value - n.genid);
      if (delta >= 0x80000000 && inferred) {
        // Read through the route's device: after a namespace teardown the device (and so the
        // namespace read) can change under the route. Decided at the return.
        return n.genid;
      }
      if (delta >= 0x80000000) {
        // Went back: the namespace was torn down and its pointer reused (genids restart at 0).
        this.rec.ignore('namespace pointer reused (rt_genid went back)');
        n.flushedFrom = undefined;
      } else {
        this.rec.genidBumps += delta;
        this.rec.pass('netns-genid-monotonic');
      }
    }
    if (n.flushedFrom !== undefined && value !== n.flushedFrom) {
      n.flushedFrom = undefined;
    }
    n.genid = value;
    return undefined;
  }

  private onRoute(e: CanonicalEvent): void {
    if (!e.rt || isNull(e.rt)) return this.rec.ignore('route event without a route');
    this.forget(e.rt); // a reused pointer is a new route
    const r: RouteRec = { ptr: e.rt, net: e.net, daddr: e.daddr, rtGenid: e.rtGenid === undefined ? undefined : u32(e.rtGenid), checkedOnce: false, hist: new Ring(this.historySize) };
    this.routes.set(e.rt, r);
    this.rec.routes++;
    r.hist.push(e);
    this.observeNet(e, e.net, e.genid);
    if (e.rtGenid !== undefined && e.genid !== undefined) {
      const ok = u32(e.rtGenid) === u32(e.genid) && (e.obsolete === undefined || e.obsolete === -1);
      if (ok) this.rec.pass('new-route-current-genid');
      else if ((e.obsolete === undefined || e.obsolete === -1) && u32(e.genid - e.rtGenid) < 0x80000000 && this.creations.flushSincePrevious(this.ctx(e))) {
        // rt_dst_alloc read the genid, then a flush on another CPU/task bumped it before this probe.
        this.rec.unchecked('new-route-current-genid', 'a flush on another CPU/task during the allocation');
      } else this.rec.fail('new-route-current-genid', e, `rt_genid ${u32(e.genid)}, obsolete -1`, `rt_genid ${u32(e.rtGenid)}, obsolete ${e.obsolete ?? '?'}`, `new route ${e.rt} is not current in its namespace`, r.hist, r.ptr);
    } else this.rec.unchecked('new-route-current-genid', 'genids at creation not observed');
    // The exception the same lookup found (if any) decides what the route starts with.
    const found = this.lastFound.get(this.ctx(e));
    this.lastFound.delete(this.ctx(e));
    const binds = found !== undefined && (found.daddr === undefined || e.daddr === undefined || found.daddr === e.daddr);
    const races = this.creations.created(this.ctx(e), r, binds, e.daddr);
    if (races.raced) r.racedUpdate = true;
    // rt_bind_exception (after this probe) puts the exception's previous route: checks open elsewhere may see it die.
    if (binds) this.acted(e);
    if (found && binds) {
      const n = this.net(e.net ?? found.net);
      const cur = n?.fnheGenid ?? this.fnheGenid;
      // A /proc flush elsewhere during the lookup may have bumped fnhe_genid after it was read
      // (its probe fires before the bump) or before rt_bind_exception compared it.
      const unsure = this.creations.flushSincePrevious(this.ctx(e), true);
      const current = found.exceptionGenid === undefined || cur === undefined || unsure ? undefined : u32(found.exceptionGenid) === u32(cur);
      r.exception = { mtu: found.mtu ?? 0, current };
      this.startedWithException.add(r);
      r.nexthopRoute = false;
      // Updated in place on another CPU/task between find_exception's probe and the bind.
      if (races.updated) this.exceptionChanged(r, 'the exception was updated on another CPU/task while the route bound it');
    } else if (e.daddr !== undefined) {
      r.nexthopRoute = true;
      r.createdAt = this.nh.created(e.net);
    }
  }

  /**
   * An fnhe_genid read by a probe: unknown while a /proc flush in another context may still be
   * about to bump it (the value read may be the one before).
   */
  private fnheObserved(e: CanonicalEvent, v: number): number | undefined {
    return this.creations.procFlushOpen(this.ctx(e)) ? undefined : u32(v);
  }

  /** What the route started with no longer shows at its first check. */
  private exceptionChanged(x: RouteRec, why: string): void {
    if (!x.exception) return;
    x.exception = undefined;
    this.startedWithException.delete(x);
    this.rec.unchecked('exception-applied-to-new-route', why);
  }

  /** The route's record is gone (destroyed, or its pointer reused by a new route). */
  private forget(ptr: string): void {
    const r = this.routes.get(ptr);
    if (!r) return;
    this.routes.delete(ptr);
    this.startedWithException.delete(r);
  }

  private onCheck(e: CanonicalEvent): void {
    this.rec.checks++;
    this.lastFound.delete(this.ctx(e));
    if (!e.rt) return this.rec.ignore('check without a route pointer');
    let r = this.routes.get(e.rt);
    if (!r) {
      r = { ptr: e.rt, checkedOnce: false, hist: new Ring(this.historySize), rtGenid: e.rtGenid === undefined ? undefined : u32(e.rtGenid) };
      this.routes.set(e.rt, r);
      this.rec.routes++;
    }
    r.hist.push(e);
    const wentBack = this.observeNet(e, r.net, e.genid, true);
    if (e.rtGenid !== undefined) {
      if (r.rtGenid !== undefined) {
        if (u32(e.rtGenid) === r.rtGenid) this.rec.pass('route-genid-fixed-at-creation');
        else this.rec.fail('route-genid-fixed-at-creation', e, `rt_genid ${r.rtGenid}`, `rt_genid ${u32(e.rtGenid)}`, `route ${r.ptr} rt_genid changed after creation`, r.hist, r.ptr);
      }
      r.rtGenid = u32(e.rtGenid);
    }
    if (!r.checkedOnce && r.exception && e.rtMtu !== undefined) {
      if (r.exception.current === undefined) this.rec.unchecked('exception-applied-to-new-route', 'namespace fnhe_genid not known');
      else {
        const want = r.exception.current ? r.exception.mtu : 0;
        if (u32(e.rtMtu) === want) this.rec.pass('exception-applied-to-new-route');
        else this.rec.fail('exception-applied-to-new-route', e, `pmtu ${want}${r.exception.current ? '' : ' (stale exception: not applied)'}`, `pmtu ${e.rtMtu}`, `route ${r.ptr} did not start with its exception's PMTU`, r.hist, r.ptr);
      }
    }
    r.checkedOnce = true;
    this.startedWithException.delete(r);
    const k = this.ctx(e);
    const old = this.pending.get(k);
    if (old) this.overlaps.close(old.w);
    // A kill still in progress on another CPU counts as after this entry.
    const seq = r.killOpenIn !== undefined && r.killOpenIn !== k && r.mustFailSeq !== undefined ? r.mustFailSeq - 1 : this.actSeq;
    // A new exception still being created in another context kills its next hop's cached routes
    // inside update_or_create_fnhe, after its entry probe: this route may be one of them.
    const killOpenElsewhere = this.openKills.some((x) => x.killOpenIn !== undefined && x.killOpenIn !== k);
    // A flush, an exception update or bind elsewhere whose probe fired but whose effect may still be to come.
    const flushOpenElsewhere = this.creations.effectOpen(k);
    this.pending.set(k, { ev: own(e), route: r, wentBack, w: this.overlaps.open(r.ptr, k), seq, killOpenElsewhere, flushOpenElsewhere });
  }

  private onCheckRet(e: CanonicalEvent): void {
    const p = this.pending.get(this.ctx(e));
    if (!p || (e.rt && e.rt !== p.route.ptr)) return this.rec.ignore('check_ret without its check (duplicate return probe or lost entry)');
    this.pending.delete(this.ctx(e));
    this.overlaps.close(p.w);
    const r = p.route;
    r.hist.push(e);
    if (e.ret === undefined) return this.rec.ignore('check_ret without a return value');
    const valid = !isNull(e.ret);
    /** A flush, a new exception or an exception bind in another context while this check ran. */
    const raced = p.w.gMovedByOther;
    const { obsolete, rtGenid, genid } = p.ev;
    if (obsolete === undefined || rtGenid === undefined || genid === undefined) {
      this.rec.unchecked('check-fails-iff-stale', 'obsolete or genids not observed at the check');
    } else {
      const stale = obsolete !== -1 || u32(rtGenid) !== u32(genid);
      if (valid === !stale && (!valid || e.ret === r.ptr)) this.rec.pass('check-fails-iff-stale');
      else if (!valid && !stale && raced) {
        // Read alive by the entry probe, made stale on another CPU/task before the C's test.
        this.rec.unchecked('check-fails-iff-stale', 'a flush or a new exception on another CPU/task during the check');
      } else if (!valid && !stale && p.killOpenElsewhere) {
        this.rec.unchecked('check-fails-iff-stale', 'a new exception was being created on another CPU/task (it kills its next hop\'s routes inside the call)');
      } else if (!valid && !stale && p.flushOpenElsewhere) {
        this.rec.unchecked('check-fails-iff-stale', 'a flush, an exception update or an exception bind on another CPU/task had not taken effect yet when the check entered');
      }
      else if (valid && obsolete === -1 && p.wentBack !== undefined && u32(rtGenid) === p.wentBack) {
        // The kernel still found the route current: the namespace genid read at the entry is the
        // inconsistent observation (it went back, and the route's own genid shows it had not).
        this.rec.fail('netns-genid-monotonic', p.ev, `namespace rt_genid ${p.wentBack} or more`, `rt_genid ${u32(genid)}`, `the namespace rt_genid went back from ${p.wentBack} to ${u32(genid)} (the check still found route ${r.ptr} current)`, r.hist, r.ptr);
      } else {
        const why = obsolete !== -1 ? `obsolete ${obsolete}` : u32(rtGenid) !== u32(genid) ? `rt_genid ${rtGenid} != namespace ${genid} (flushed)` : `obsolete -1 and rt_genid current`;
        this.rec.fail('check-fails-iff-stale', e, stale ? 'NULL' : `dst ${r.ptr}`, valid ? `dst ${e.ret}` : 'NULL', `${valid ? 'stale' : 'valid'} route ${r.ptr} (${why}) reported ${valid ? 'valid' : 'invalid'}`, r.hist, r.ptr);
      }
    }
    if (r.mustFail !== undefined && valid && r.createdAt !== undefined && (r.killEndCreations ?? this.nh.creationsIn(r.net)) > r.createdAt) {
      // Another next-hop route created before the kill was done may have replaced this one in its slot.
      this.rec.unchecked('new-exception-kills-nexthop-routes', 'another next-hop route was created before the kill walked the slots (it may have replaced this one in a CPU slot)');
      r.mustFail = undefined;
    } else if (r.mustFail !== undefined && valid && r.racedUpdate) {
      // Marked after the update (by a later creation whose lookup had begun before): maybe displaced.
      this.rec.unchecked('new-exception-kills-nexthop-routes', RACED_CREATION);
      r.mustFail = undefined;
    } else if (r.mustFail !== undefined && valid && r.mustFailSeq !== undefined && r.mustFailSeq > p.seq) {
      // Killed after this check's entry: the check may have tested it before; the next one must fail.
      this.rec.unchecked('new-exception-kills-nexthop-routes', 'killed on another CPU/task while this check ran');
    } else if (r.mustFail !== undefined) {
      if (!valid) this.rec.pass('new-exception-kills-nexthop-routes');
      else this.rec.fail('new-exception-kills-nexthop-routes', e, 'NULL (killed by the new exception)', `dst ${e.ret}`, `route ${r.ptr} survived the exception created through it`, r.hist, r.ptr);
      r.mustFail = undefined;
    }
  }

  private onFlush(e: CanonicalEvent): void {
    this.rec.flushes++;
    this.acted(e);
    const proc = /sysctl/.test(e.probe ?? '');
    this.creations.flushed(this.ctx(e), proc);
    const n = this.net(e.net);
    if (e.fnheGenid !== undefined) {
      const v = this.fnheObserved(e, e.fnheGenid);
      if (n) n.fnheGenid = v;
      this.fnheGenid = v;
    }
    if (proc) {
      // The /proc flush also bumps fnhe_genid (of its namespace, not named by this probe).
      if (this.nets.size <= 1) {
        this.fnheGenid = this.fnheGenid === undefined ? undefined : u32(this.fnheGenid + 1);
        for (const x of this.nets.values()) x.fnheGenid = x.fnheGenid === undefined ? undefined : u32(x.fnheGenid + 1);
      } else {
        this.fnheGenid = undefined;
        for (const x of this.nets.values()) x.fnheGenid = undefined;
      }
      return;
    }
    if (!n || e.genid === undefined) return;
    // rt_cache_flush is an entry probe: genid is the value BEFORE the bump.
    this.observeNet(e, e.net, e.genid);
    n.flushedFrom = u32(e.genid);
    n.genid = u32(e.genid + 1);
    this.rec.pass('netns-genid-monotonic');
  }

  private onBump(e: CanonicalEvent): void {
    if (e.counter === 'fnhe') {
      const n = this.net(e.net);
      if (n && e.new !== undefined) n.fnheGenid = u32(e.new);
      return;
    }
    this.observeNet(e, e.net, e.old);
    this.observeNet(e, e.net, e.new);
    if (e.old !== undefined && e.new !== undefined && u32(e.new) !== u32(e.old)) this.acted(e);
  }

  private onPath(e: CanonicalEvent): void {
    this.lastFound.delete(this.ctx(e));
    const r = e.rt ? this.routes.get(e.rt) : undefined;
    if (r) {
      r.hist.push(e);
      if (e.rtGenid !== undefined && r.rtGenid !== undefined) {
        if (u32(e.rtGenid) === r.rtGenid) this.rec.pass('route-genid-fixed-at-creation');
        else this.rec.fail('route-genid-fixed-at-creation', e, `rt_genid ${r.rtGenid}`, `rt_genid ${u32(e.rtGenid)}`, `route ${r.ptr} rt_genid changed after creation`, r.hist, r.ptr);
      }
    }
    this.lastPath.set(this.ctx(e), { ev: own(e), route: r });
  }

  private onFnhe(e: CanonicalEvent): void {
    const created = /update_or_create/.test(e.probe ?? '');
    if (!created) {
      // Found during a lookup: the route this lookup creates binds it.
      this.lastFound.set(this.ctx(e), own(e));
      return;
    }
    this.acted(e);
    this.creations.updated(this.ctx(e), e.daddr);
    for (const x of this.openKills) {
      if (x.killOpenIn === undefined || x.killOpenIn === this.ctx(e) || x.killOpenMore?.includes(this.ctx(e))) continue;
      (x.killOpenMore ??= []).push(this.ctx(e));
      x.mustFailSeq = this.actSeq;
    }
    if (e.fnheGenid !== undefined) this.fnheGenid = this.fnheObserved(e, e.fnheGenid);
    // An existing exception updated in place refreshes its routes: what they started with no longer shows.
    for (const x of this.startedWithException) {
      if (x.exception && !x.checkedOnce && (e.daddr === undefined || x.daddr === e.daddr)) this.exceptionChanged(x, 'the exception changed before the route was first checked');
    }
    const seenBefore = this.nh.updated(e.daddr);
    const path = this.lastPath.get(this.ctx(e));
    this.lastPath.delete(this.ctx(e));
    const r = path?.route;
    if (!r || !path || (path.ev.daddr !== undefined && e.daddr !== undefined && path.ev.daddr !== e.daddr)) {
      this.rec.unchecked('new-exception-kills-nexthop-routes', 'the route the update came through is not known');
      return;
    }
    if (r.nexthopRoute === true && seenBefore && (path.ev.obsolete === undefined || path.ev.obsolete === -1)) {
      // A next-hop route can be returned for a destination with an exception when the lookup's
      // find_exception ran before that exception's publish: this update may be in place.
      this.rec.unchecked('new-exception-kills-nexthop-routes', 'an earlier update for this destination may have created the exception already (this one may update it in place)');
    } else if (r.nexthopRoute === true && r.racedUpdate) {
      // Found no exception, then may have been cached after another update's publish and kill,
      // or displaced from its slot by another lookup's route (uncached: no kill reaches it).
      this.rec.unchecked('new-exception-kills-nexthop-routes', RACED_CREATION);
    } else if (r.nexthopRoute === true && (path.ev.obsolete === undefined || path.ev.obsolete === -1) && (path.ev.rtMtu === undefined || path.ev.rtMtu === 0)) {
      // The lookup gave a next-hop route: there was no exception for this destination, so this
      // update creates one and KILLs the next hop's cached routes, this one included.
      r.mustFail = e.line;
      r.mustFailSeq = this.actSeq;
      r.killOpenIn = this.ctx(e);
      r.killOpenMore = undefined;
      r.killEndCreations = undefined;
      if (this.openKills.length < 64) this.openKills.push(r);
    } else if (r.nexthopRoute === undefined) {
      this.rec.unchecked('new-exception-kills-nexthop-routes', "the route's creation was not seen (next-hop or exception route unknown)");
    }
  }

  finish(): void {
    for (const r of this.routes.values()) {
      if (r.mustFail !== undefined) this.rec.unchecked('new-exception-kills-nexthop-routes', 'the killed route was not checked again');
    }
    if (this.pending.size) this.rec.unchecked('check-fails-iff-stale', 'check without a return at the end of the trace');
  }
}
