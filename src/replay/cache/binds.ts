/**
 * Peer binds in the routing-cache eras (rt_bind_peer, inet_getpeer): inside a check they are the
 * check's lookup-only bind (judged against the check's path); naming their route outside one they
 * are a call on it (a window for overlap.ts) whose return must not replace the route's peer;
 * otherwise they are lookups for a destination (lookups.ts).
 */
import type { CanonicalEvent } from '../../trace/events.ts';
import { eventKey } from '../../trace/callctx.ts';
import type { Recorder } from '../coverage.ts';
import type { Overlaps, Window } from '../overlap.ts';
import type { CheckTracker, PendingCheck } from './checks.ts';
import { describeBind, isNull, MAX_CONTEXTS, MAX_NESTED, prune, pruneEmpty, u32 } from './common.ts';
import type { GenidTracker } from './genid.ts';
import type { LookupTracker } from './lookups.ts';
import type { RouteTable } from './routes.ts';
import { isCheckLookupCaller } from '../stage-rules.ts';
import { own } from '../../trace/columns/cursor.ts';

export class BindTracker {
  /** Binds naming their route, open per context (their window on the route). */
  private readonly windows = new Map<number, Window[]>();
  /**
   * Named binds whose own lookup's return (inet_getpeer's, printed inside the call) was seen: its
   * result was taken when it returned, and the bind's return, printed later, reads the route's
   * peer (S5: maybe of an inetpeer tree a flush swapped out since).
   */
  private readonly innerSeen = new WeakSet<Window>();
  /** A lookup entry not attributed to a route, per context: its return may lack daddr/create. */
  private readonly lastEntry = new Map<number, CanonicalEvent | undefined>();

  constructor(
    private readonly rec: Recorder,
    private readonly overlaps: Overlaps,
    private readonly routes: RouteTable,
    private readonly genid: GenidTracker,
    private readonly lookups: LookupTracker,
    private readonly checks: CheckTracker,
  ) {}

  /** Lost events: no bind is known to be open any more. */
  gap(): void {
    this.windows.clear();
  }

  /** The open check this bind belongs to: same route, or no route but inside the check (inlined). */
  private checkOf(e: CanonicalEvent): PendingCheck | undefined {
    const p = this.checks.innermost(e);
    if (!p) return undefined;
    if (e.rt) return e.rt === p.route.ptr ? p : undefined;
    if (e.caller && !isCheckLookupCaller(e.caller)) return undefined;
    return e.daddr === undefined || p.route.daddr === undefined || e.daddr === p.route.daddr ? p : undefined;
  }

  onBind(e: CanonicalEvent): void {
    this.rec.binds++;
    const p = this.checkOf(e);
    if (p) {
      p.binds++;
      p.route.hist.push(e);
      this.overlaps.touch(p.route.ptr, p.w.ctx);
      this.inCheck(p, e);
      return;
    }
    const k = eventKey(e);
    if (!e.rt) {
      if (this.lastEntry.size >= MAX_CONTEXTS) prune(this.lastEntry);
      this.lastEntry.set(k, own(e));
      return;
    }
    const r = this.routes.route(e.rt, e);
    r.hist.push(e);
    // The genid the probe read first (as for a check): a route stamped unseen with it is then
    // not "ahead of the genid" (a bump whose return is not printed yet).
    this.genid.observe(e, e.genid);
    this.routes.sameState(r, e);
    r.mayStamp = true;
    // A bind naming its route is a call on it, open until its return (overlap.ts).
    let ws = this.windows.get(k);
    if (!ws) {
      if (this.windows.size >= MAX_CONTEXTS) pruneEmpty(this.windows);
      this.windows.set(k, (ws = []));
    }
    if (ws.length >= MAX_NESTED) this.overlaps.close(ws.shift()!);
    ws.push(this.overlaps.open(e.rt, k));
  }

  /** The first bind of a check (an entry, or a return whose entry was not seen), judged by the check's path. */
  private inCheck(p: PendingCheck, e: CanonicalEvent): void {
    if (p.binds > 1) return;
    const r = p.route;
    if (p.path === 'expired') {
      this.rec.fail('expired-route-fails', e, 'no lookup (an expired route fails before the genid test)', describeBind(e), `expired route ${r.ptr} looked its peer up`, r.hist, r.ptr);
    } else if (p.path === 'fast') {
      // Decided at the return: another CPU may have moved the genid between the entry probe and
      // the compare (overlap.ts).
      p.fastBind = own(e);
    } else if (p.path === 'slow' && !isNull(p.ev.peer)) {
      this.rec.fail('check-binds-only-peerless', e, 'no bind (the route already has a peer)', describeBind(e), `check bound route ${r.ptr} which already had peer ${p.ev.peer}`, r.hist, r.ptr);
    }
    if (e.create !== undefined) {
      if (e.create === 0) this.rec.pass('check-bind-is-lookup-only');
      else this.rec.fail('check-bind-is-lookup-only', e, 'create=0', `create=${e.create}`, `the check's bind of route ${r.ptr} may create a peer`, r.hist, r.ptr);
    }
  }

  onBindRet(e: CanonicalEvent): void {
    const p = this.checkOf(e);
    const create = (e.create ?? (p ? 0 : undefined)) as 0 | 1 | undefined;
    if (p) {
      p.route.hist.push(e);
      this.overlaps.touch(p.route.ptr, p.w.ctx);
      if (p.binds === 0) {
        // The entry was not seen (or the reader emits only the return): count the bind here.
        p.binds++;
        this.inCheck(p, { ...e, kind: 'bind' });
      }
      if (e.peer !== undefined) p.bindPeer = e.peer;
      const d = e.daddr ?? p.route.daddr;
      this.lookups.result(e, d, create === 1 ? 1 : 0, e.peer, p.route.ptr);
      return;
    }
    const k = eventKey(e);
    if (e.rt) return this.routeBindRet(e, e.rt, k, create);
    const entry = this.lastEntry.get(k);
    // Overwritten, not deleted: a delete per return leaves a hole in the Map's table each time
    // (rehashing and garbage); the slot is reused by the context's next lookup.
    if (entry !== undefined) this.lastEntry.set(k, undefined);
    const c = create ?? (entry?.create as 0 | 1 | undefined);
    const daddr = e.daddr ?? entry?.daddr;
    if (c !== undefined && daddr !== undefined) this.lookups.result(e, daddr, c, e.peer, e.rt, entry?.line);
    const ws = this.windows.get(k);
    if (ws?.length) this.innerSeen.add(ws[ws.length - 1]!);
  }

  /** The return of a bind naming its route outside a check: it never replaces the route's peer. */
  private routeBindRet(e: CanonicalEvent, rt: string, k: number, create: 0 | 1 | undefined): void {
    const r = this.routes.route(rt, e);
    r.hist.push(e);
    const ws = this.windows.get(k);
    const wi = ws ? ws.findLastIndex((w) => w.route === rt) : -1;
    const w = ws && wi >= 0 ? ws.splice(wi, 1)[0] : undefined;
    if (w) this.overlaps.close(w);
    this.overlaps.touch(rt, k);
    // Another CPU/task acted on the route during this bind: what the return shows was read
    // inside the call (rt_bind_peer's stamp), before acts the trace prints earlier.
    const raced = w?.overlapped;
    if (raced && e.peer !== undefined && isNull(e.peer) && r.peer !== undefined && !isNull(r.peer)) {
      this.rec.unchecked('bind-never-replaces-peer', 'read before a bind on another CPU/task');
    } else if (e.peer !== undefined) {
      if (r.peer !== undefined && !isNull(r.peer) && !r.incomplete && e.peer !== r.peer) {
        this.rec.fail('bind-never-replaces-peer', e, `peer ${r.peer}`, `peer ${e.peer}`, `bind replaced the peer of route ${r.ptr}`, r.hist, r.ptr);
      } else if (r.peer !== undefined && !isNull(r.peer)) this.rec.pass('bind-never-replaces-peer');
      r.peer = e.peer;
    }
    if (e.rtGenid !== undefined) r.rtGenid = raced && r.rtGenid !== u32(e.rtGenid) ? undefined : u32(e.rtGenid);
    // Its stamp, unseen here, came after any check another context made during the bind.
    else r.mayStamp = true;
    this.genid.observe(e, e.genid);
    if (e.daddr !== undefined && e.peer !== undefined && create !== undefined && (isNull(e.peerBefore) || e.peerBefore === undefined)) {
      // The return reads the route's peer, not the lookup's result: with another CPU/task acting
      // on the route meanwhile (update_pmtu's or another bind's cmpxchg won), it may be theirs.
      if (w && this.innerSeen.has(w)) return; // its lookup's own return was judged
      if (raced) this.rec.unchecked('lookup-only-never-creates-peer', "another CPU/task bound the route during this bind (its return reads the route's peer, not its lookup's)");
      else this.lookups.result(e, e.daddr, create, e.peer, rt);
    }
  }
}
