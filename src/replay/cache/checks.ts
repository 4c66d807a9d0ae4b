/**
 * ipv4_dst_check in the routing-cache eras, from its entry to its return:
 * - at entry: expired (obsolete=2, or created before an observed flush) -> NULL, nothing looked
 *   up; genid current -> no lookup, nothing changes; genid stale and peerless -> exactly one
 *   lookup-only bind before the return; genid stale with a peer -> no bind;
 * - at return (valid): it returns its own dst, rt_peer_genid == G, the peer is the one it had or
 *   the one its bind found.
 * Kernel facts the checks follow (the 3.0.1 traces): several bumps are absorbed by one check; a
 * peerless route with no peer found still re-stamps; fields read through a NULL return are 0 and
 * meaningless. The binds inside a check are binds.ts's; they count on the open check here.
 */
import type { CacheEra } from '../../core/eras.ts';
import type { CanonicalEvent } from '../../trace/events.ts';
import { eventKey } from '../../trace/callctx.ts';
import type { Recorder, Ring } from '../coverage.ts';
import type { Overlaps, Window } from '../overlap.ts';
import { describeBind, isNull, MAX_CONTEXTS, MAX_NESTED, pruneEmpty, type RouteRec, snapshotRing, u32 } from './common.ts';
import type { GenidTracker } from './genid.ts';
import type { RouteTable } from './routes.ts';
import { own } from '../../trace/columns/cursor.ts';
import { freedRoutePeerIsCurrent } from '../stage-rules.ts';

/** Missing lookups kept with their details (the rest are counted). */
const MAX_MISSING_BINDS = 200;

/** A check between its entry and its return. */
export interface PendingCheck {
  ev: CanonicalEvent;
  route: RouteRec;
  path: 'expired' | 'fast' | 'slow' | 'unknown';
  binds: number;
  bindPeer?: string;
  /** This call's window on its route (calls of other CPUs/tasks that overlap it: overlap.ts). */
  w: Window;
  /** A bind on a path the entry read as current: a divergence unless the genid moved meanwhile. */
  fastBind?: CanonicalEvent;
  /** A flush of the route was in progress at entry (its rt_genid move may come before or after this check's test). */
  flushRacing?: boolean;
}

export class CheckTracker {
  /** Open checks per call context, innermost last (an interrupt's check nests in its task's). */
  private readonly pending = new Map<number, PendingCheck[]>();
  /** A lookup-only bind missing on a slow path: a divergence only if the trace shows lookups at all. */
  private missingBinds: { ev: CanonicalEvent; route: RouteRec; hist: Ring }[] = [];
  private missingBindsOverflow = 0;

  constructor(
    private readonly era: CacheEra,
    private readonly rec: Recorder,
    private readonly historySize: number,
    private readonly overlaps: Overlaps,
    private readonly routes: RouteTable,
    private readonly genid: GenidTracker,
  ) {}

  /** Lost events: the open checks' returns cannot be matched any more. */
  gap(): void {
    for (const st of this.pending.values()) for (let i = 0; i < st.length; i++) this.rec.unchecked('slow-path-looks-up-peer', 'check interrupted by lost events');
    this.pending.clear();
  }

  /** End of trace: the missing lookups (`lookupsObserved`: the trace shows lookups at all). */
  finishMissingBinds(lookupsObserved: boolean): void {
    for (const m of this.missingBinds) {
      if (lookupsObserved) {
        this.rec.fail('slow-path-looks-up-peer', m.ev, 'one create=0 bind before the return (route peerless, genid stale)', 'no bind', `check of peerless route ${m.route.ptr} with a stale genid returned without looking its peer up`, m.hist, m.route.ptr);
      } else this.rec.unchecked('slow-path-looks-up-peer', 'the trace has no peer lookup events');
    }
    for (let i = 0; i < this.missingBindsOverflow; i++) {
      if (lookupsObserved) this.rec.failCount('slow-path-looks-up-peer');
      else this.rec.unchecked('slow-path-looks-up-peer', 'the trace has no peer lookup events');
    }
    this.missingBinds = [];
  }

  /** End of trace: checks still open. */
  finishOpen(): void {
    for (const st of this.pending.values()) {
      for (let i = 0; i < st.length; i++) this.rec.unchecked('check-returns-its-route', 'check without a return at the end of the trace');
    }
  }

  /** The innermost open check of the event's context. */
  innermost(e: CanonicalEvent): PendingCheck | undefined {
    const stack = this.pending.get(eventKey(e));
    return stack?.length ? stack[stack.length - 1] : undefined;
  }

  onCheck(e: CanonicalEvent): void {
    this.rec.checks++;
    this.genid.contextMoved(e);
    if (!e.rt) return this.rec.ignore('check without a route pointer');
    this.genid.observe(e, e.genid);
    const r = this.routes.route(e.rt, e);
    this.routes.sameState(r, e);
    r.hist.push(e);
    r.incomplete = false;
    r.mayStamp = false;
    if (e.peer !== undefined) r.peer = e.peer;
    let path: PendingCheck['path'];
    const flush = this.routes.expired(r);
    const flushed = (e.obsolete !== undefined && e.obsolete > 0) || flush === 'yes';
    if (flushed) path = 'expired';
    else if (this.era === 'pre-genid') path = 'fast';
    else if (e.rtGenid === undefined || e.genid === undefined) path = 'unknown';
    else path = u32(e.rtGenid) === u32(e.genid) ? 'fast' : 'slow';
    if (path === 'slow' && e.peer === undefined) path = 'unknown';
    const k = eventKey(e);
    let stack = this.pending.get(k);
    if (!stack) {
      if (this.pending.size >= MAX_CONTEXTS) pruneEmpty(this.pending);
      this.pending.set(k, (stack = []));
    }
    if (stack.length >= MAX_NESTED) {
      // Returns lost (or not probed): the oldest open check can no longer be told apart.
      const lost = stack.shift()!;
      this.overlaps.close(lost.w);
      this.rec.unchecked('slow-path-looks-up-peer', 'check entry without a return (nested or lost)');
    }
    stack.push({ ev: own(e), route: r, path, binds: 0, w: this.overlaps.open(r.ptr, k), flushRacing: !flushed && flush === 'maybe' });
  }

  onCheckRet(e: CanonicalEvent): void {
    const stack = this.pending.get(eventKey(e));
    const p = stack?.length ? stack[stack.length - 1] : undefined;
    if (!stack || !p || (e.rt && e.rt !== p.route.ptr)) {
      this.rec.ignore('check_ret without its check (duplicate return probe or lost entry)');
      return;
    }
    stack.pop(); // the context's array stays (no Map delete per return)
    const r = p.route;
    const w = p.w;
    r.hist.push(e);
    const ret = e.ret;
    if (ret === undefined) {
      this.overlaps.close(w);
      return this.rec.ignore('check_ret without a return value');
    }
    const valid = !isNull(ret);
    if (p.path === 'expired') {
      this.overlaps.close(w);
      if (valid) this.rec.fail('expired-route-fails', e, 'NULL (the route was flushed)', `dst ${ret}`, `flushed route ${r.ptr} reported valid`, r.hist, r.ptr);
      else this.rec.pass('expired-route-fails');
      if (p.binds === 0) this.rec.pass('current-check-is-noop');
      return;
    }
    if (!valid) {
      this.overlaps.close(w);
      // rt_is_expired is not observable here (a flush the probes missed), nor the neighbour state
      // of a redirect (S2/S3 -EAGAIN): a NULL from a live-looking route is not a divergence.
      this.rec.unchecked('check-returns-its-route', 'NULL without observed expiry (unobserved flush or redirect -EAGAIN)');
      r.rtGenid = undefined;
      return;
    }
    if (p.flushRacing) this.rec.unchecked('expired-route-fails', 'a flush on another CPU/task was in progress (its rt_genid move may come after this check)');
    if (ret === r.ptr) this.rec.pass('check-returns-its-route');
    else this.rec.fail('check-returns-its-route', e, `dst ${r.ptr}`, `dst ${ret}`, `check of ${r.ptr} returned another dst`, r.hist, r.ptr);
    this.genid.observe(e, e.genid);
    // The window closes after the genid this return read: a bump it shows happened inside it.
    this.overlaps.close(w);
    const gMoved = w.gMovedByOther || w.gMovedBySelf;
    this.judgeLookup(p, e, gMoved);
    if (this.era !== 'pre-genid') this.judgeStamp(p, e, gMoved);
    this.judgePeer(p, e);
    if (p.path === 'fast' && e.rtGenid !== undefined && p.ev.rtGenid !== undefined && u32(e.rtGenid) !== u32(p.ev.rtGenid)) {
      if (gMoved) this.rec.unchecked('current-check-is-noop', 'the genid moved between the entry probe and the compare');
      else this.rec.fail('current-check-is-noop', e, `rt_peer_genid ${p.ev.rtGenid}`, `rt_peer_genid ${e.rtGenid}`, `check of a current route changed its genid`, r.hist, r.ptr);
    }
    if (e.peer !== undefined) r.peer = e.peer;
    if (e.rtGenid !== undefined) r.rtGenid = u32(e.rtGenid);
    // This return's stamp is an act on the route for the other contexts' open calls.
    this.overlaps.touch(r.ptr, w.ctx);
  }

  /** The lookup expectation: one bind on the slow path of a peerless route, none on the fast path. */
  private judgeLookup(p: PendingCheck, e: CanonicalEvent, gMoved: boolean): void {
    const r = p.route;
    if (p.path === 'slow' && isNull(p.ev.peer)) {
      if (p.binds > 0) this.rec.pass('slow-path-looks-up-peer');
      else if (p.w.overlapped) {
        // Another CPU/task stamped the route after this entry probe read it, or installed its
        // peer first: the C found it current or bound, and looked nothing up.
        this.rec.unchecked('slow-path-looks-up-peer', 'another CPU/task checked or bound the route during this check');
      } else if (gMoved && p.ev.rtGenid !== undefined && p.ev.genid !== undefined && e.genid !== undefined && u32(p.ev.rtGenid - p.ev.genid) <= u32(e.genid - p.ev.genid)) {
        // The genid moved on to the route's own stamp before the compare (a bump on another
        // CPU/task; a wrap to 0 for a peerless route): the C found the route current.
        this.rec.unchecked('slow-path-looks-up-peer', "the genid reached the route's stamp between the entry probe and the compare");
      } else if (this.missingBinds.length < MAX_MISSING_BINDS) this.missingBinds.push({ ev: own(e), route: r, hist: snapshotRing(r.hist, this.historySize) });
      else this.missingBindsOverflow++; // constant memory: details kept for the first ones only
    } else if (p.path === 'fast' && p.fastBind) {
      if (gMoved) this.rec.unchecked('current-check-is-noop', 'the genid moved between the entry probe and the compare');
      else this.rec.fail('current-check-is-noop', p.fastBind, 'no lookup (genid current)', describeBind(p.fastBind), `check of route ${r.ptr} with a current genid looked its peer up`, r.hist, r.ptr);
    } else if (p.path === 'fast' && p.binds === 0 && !gMoved) this.rec.pass('current-check-is-noop');
  }

  /** The state after: the route leaves a valid check stamped with the genid. */
  private judgeStamp(p: PendingCheck, e: CanonicalEvent, gMoved: boolean): void {
    const r = p.route;
    if (e.rtGenid === undefined || e.genid === undefined) return this.rec.unchecked('check-restamps', 'genids at the return not observed');
    const gEntry = p.ev.genid;
    if (u32(e.rtGenid) === u32(e.genid)) this.rec.pass('check-restamps');
    else if (gMoved && gEntry !== undefined && u32(e.rtGenid - gEntry) < u32(e.genid - gEntry)) {
      // Stamped with a value the genid had during the call; a bump (already accounted to its
      // path) came between the stamp and this return probe's read.
      this.rec.unchecked('check-restamps', 'the genid moved on after the stamp (a bump on another CPU/task)');
    } else this.rec.fail('check-restamps', e, `rt_peer_genid ${u32(e.genid)} (= genid)`, `rt_peer_genid ${u32(e.rtGenid)}`, `route ${r.ptr} left the check with a stale genid`, r.hist, r.ptr);
  }

  /** The state after: the route holds the peer it had, or the one its bind found. */
  private judgePeer(p: PendingCheck, e: CanonicalEvent): void {
    if (e.peer === undefined || p.ev.peer === undefined) return;
    const r = p.route;
    const want = !isNull(p.ev.peer) ? p.ev.peer : p.binds > 0 ? p.bindPeer : p.path === 'fast' ? p.ev.peer : undefined;
    if (want === undefined) this.rec.unchecked('slow-path-attaches-existing-peer', "the check's bind result was not observed");
    else if (want === e.peer) this.rec.pass(isNull(p.ev.peer) ? 'slow-path-attaches-existing-peer' : 'bind-never-replaces-peer');
    else if (!isNull(p.ev.peer)) this.rec.fail('bind-never-replaces-peer', e, `peer ${want}`, `peer ${e.peer}`, `route ${r.ptr} left the check with another peer`, r.hist, r.ptr);
    else if (isNull(want) && !isNull(e.peer) && p.w.overlapped) {
      // The lost cmpxchg: this check found no peer (or lost), another CPU/task's bind installed
      // one on the route; the route keeps the winner's.
      this.rec.unchecked('slow-path-attaches-existing-peer', "another CPU/task's bind installed its peer first");
    } else if (!isNull(want) && !isNull(e.peer) && p.w.overlapped && !freedRoutePeerIsCurrent(this.era, this.routes.stage)) {
      // S5: a flush swapped the inetpeer tree between this check's lookup and another CPU/task's
      // bind, which found (or made) the destination's new peer and won the cmpxchg.
      this.rec.unchecked('slow-path-attaches-existing-peer', "S5: another CPU/task's bind installed a peer of the inetpeer tree a flush swapped in");
    } else this.rec.fail('slow-path-attaches-existing-peer', e, `peer ${want}`, `peer ${e.peer}`, `route ${r.ptr} does not hold what its bind found`, r.hist, r.ptr);
  }
}
