/**
 * Replay of the routing-cache eras (seed, pmtu-redirect, pre-genid): the model's predictions
 * applied to the state the trace shows, one event at a time, O(1) each.
 *
 * What is predicted (model profile -> check):
 * - the global genid G moves only through the bump paths (pmtu / redirect / update_pmtu events in
 *   progress), by +1 per bump; a flush never moves it (seed: nothing moves it);
 * - at check entry: expired (obsolete=2, or created before an observed flush) -> NULL, nothing
 *   looked up; genid current -> no lookup, nothing changes; genid stale and peerless -> exactly one
 *   lookup-only bind before the return; genid stale with a peer -> no bind;
 * - at check return (valid): it returns its own dst, rt_peer_genid == G, the peer is the one it had
 *   or the one its bind found;
 * - a create=0 lookup never produces a peer where the trace showed there was none;
 * - a route keeps its peer until destroyed; its rt_peer_genid changes only through a stamp.
 * Kernel facts the checks follow (traces/README.md, the 3.0.1 traces): new routes start
 * at 0 (rt_init_metrics stamps only with a peer); several bumps are absorbed by one check; a
 * peerless route with no peer found still re-stamps; fields read through a NULL return are 0 and
 * meaningless; the getpeer return with caller ipv4_dst_check is the check's lookup-only bind.
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';
import { type Recorder, Ring } from './coverage.ts';
import { OutcomeJudge } from './outcomes.ts';
import { eventKey } from '../trace/callctx.ts';
import { Overlaps, type Window } from './overlap.ts';
import { GenidRaces } from './genid-races.ts';

const NULL = '0x0';
/**
 * Per-context maps keep a context's slot after its call returns (set to undefined: see onBindRet);
 * past this many contexts the empty slots are dropped.
 */
const MAX_CONTEXTS = 1 << 14;
function prune<V>(m: Map<number, V | undefined>): void {
  for (const [k, v] of m) if (v === undefined) m.delete(k);
}
function pruneEmpty<V>(m: Map<number, V[]>): void {
  for (const [k, v] of m) if (v.length === 0) m.delete(k);
}
/** Calls of one kind open at once in one context: an interrupt's call nested in its task's, rarely more. */
const MAX_NESTED = 8;
/** A NULL pointer as readers print it ('0x0', '0', '0x00000000'); cheap for the common non-NULL case. */
const isNull = (p: string | undefined) => p !== undefined && (p === '0x0' || p === '0' || (p.length > 3 && p.charCodeAt(2) === 48 && /^0x0+$/.test(p)));
const u32 = (x: number) => x >>> 0;

interface RouteRec {
  ptr: string;
  daddr?: string;
  /** Known peer pointer; NULL for none; undefined = unknown. */
  peer?: string;
  rtGenid?: number;
  /** Something not attributed to a route (an inlined bind for its destination, update_pmtu) may have stamped it. */
  mayStamp: boolean;
  /** Flush count when the route was first seen / created. */
  flushAtSight: number;
  /** Its history crosses a lost-events gap: cross-event checks are not made until it is seen whole again. */
  incomplete: boolean;
  hist: Ring;
}

interface PendingCheck {
  ev: CanonicalEvent;
  route: RouteRec;
  path: 'expired' | 'fast' | 'slow' | 'unknown';
  binds: number;
  bindPeer?: string;
  /** This call's window on its route (calls of other CPUs/tasks that overlap it: overlap.ts). */
  w: Window;
  /** A bind on a path the entry read as current: a divergence unless the genid moved meanwhile. */
  fastBind?: CanonicalEvent;
}

interface Cause {
  kind: 'frag' | 'update' | 'redirect';
  line: number;
  ctx: number;
  daddr?: string;
  /** The path's call is over (its context moved on): its bump, if any, has happened. */
  done: boolean;
  rt?: string;
  /** What the path's own peer lookup returned, if seen: 'peer' or 'null'. */
  lookup?: 'peer' | 'null';
}

export class CacheEraReplayer {
  private readonly routes = new Map<string, RouteRec>();
  /** Open checks per call context, innermost last (an interrupt's check nests in its task's). */
  private readonly pending = new Map<number, PendingCheck[]>();
  private readonly overlaps = new Overlaps();
  /** Binds naming their route, open per context (their window on the route). */
  private readonly bindWindows = new Map<number, Window[]>();
  /** A create=0 lookup that returned a peer where a lookup had shown none: decided when its creator shows. */
  private suspects: { e: CanonicalEvent; daddr: string; peer: string; known: string; ctx: number; rt?: string; hist?: Ring }[] = [];
  /** Peer knowledge per destination: a pointer, NULL (a lookup showed none), or absent (unknown). */
  private readonly peerOf = new Map<string, string>();
  private G: number | undefined;
  private causes: Cause[] = [];
  private flushCount = 0;
  /** A lookup-only bind missing on a slow path: a divergence only if the trace shows lookups at all. */
  private missingBinds: { ev: CanonicalEvent; route: RouteRec; hist: Ring }[] = [];
  private missingBindsOverflow = 0;
  private lookupsObserved = false;
  private readonly late: boolean;
  /** The last events that showed the global genid: the history of a genid divergence. */
  private readonly gHist: Ring;

  constructor(
    private readonly era: Era,
    private readonly rec: Recorder,
    private readonly historySize: number,
    stage: 'S2' | 'S3' | 'S4' | 'S5' = 'S3',
  ) {
    this.late = stage === 'S4' || stage === 'S5';
    this.gHist = new Ring(historySize);
    this.outcomes = new OutcomeJudge(era, stage, rec, (rt) => (rt === undefined ? undefined : this.routes.get(rt)?.hist));
  }
  /** What the PMTU/redirect paths must do (route MTU, gateway, peer state): judged alongside. */
  private readonly outcomes: OutcomeJudge;

  private route(ptr: string, e: CanonicalEvent): RouteRec {
    let r = this.routes.get(ptr);
    if (!r) {
      r = { ptr, mayStamp: false, flushAtSight: this.flushCount, incomplete: false, hist: new Ring(this.historySize) };
      this.routes.set(ptr, r);
      this.rec.routes++;
    }
    if (e.daddr !== undefined && r.daddr === undefined) r.daddr = e.daddr;
    return r;
  }

  /** The call context an entry and its return share (src/trace/callctx.ts): a number, no allocation. */
  private ctx(e: CanonicalEvent): number {
    return eventKey(e);
  }

  gap(): void {
    // Lost events: what happened in the hole is unknown. Routes keep their records but become
    // incomplete; pending expectations, the genid and the peer knowledge start over.
    for (const r of this.routes.values()) {
      if (!r.incomplete) this.rec.incompleteRoutes++;
      r.incomplete = true;
    }
    for (const st of this.pending.values()) for (let i = 0; i < st.length; i++) this.rec.unchecked('slow-path-looks-up-peer', 'check interrupted by lost events');
    this.pending.clear();
    this.bindWindows.clear();
    this.overlaps.reset();
    this.preLookups.clear();
    this.resolveSuspects(true);
    for (let i = this.races.gap(); i > 0; i--) this.rec.unchecked('genid-steps-by-one-per-bump', 'the bump path that explains a move may be in lost events');
    this.peerOf.clear();
    this.G = undefined;
    // A path whose call is still open keeps its cause: its return (and its bump) may come after
    // the hole. Contexts not seen since the hole may have begun a path inside it.
    this.causes = this.causes.filter((c) => !c.done);
    this.seenSinceGap.clear();
    this.hadGap = true;
    this.outcomes.gap();
  }
  /** Contexts that showed an event since the last lost-events gap (only tracked once there was one). */
  private readonly seenSinceGap = new Set<number>();
  private hadGap = false;
  /** The event being handled is its context's first since a gap, and a bump. */
  private pathInHole = false;

  handle(e: CanonicalEvent): void {
    // Only whether there are two CPUs matters (concurrent reads and bumps).
    this.races.noteCpu(e.cpu);
    this.outcomes.handle(e, this.ctx(e));
    if (this.hadGap) {
      const k = this.ctx(e);
      if (!this.seenSinceGap.has(k)) {
        this.pathInHole = e.kind === 'genid_bump';
        if (this.seenSinceGap.size >= MAX_CONTEXTS) this.seenSinceGap.clear();
        this.seenSinceGap.add(k);
      } else this.pathInHole = false;
    }
    switch (e.kind) {
      case 'check':
        return this.onCheck(e);
      case 'check_ret':
        return this.onCheckRet(e);
      case 'bind':
        return this.onBind(e);
      case 'bind_ret':
        return this.onBindRet(e);
      case 'peer_new':
        return this.onLookupResult(e, e.daddr, e.create === 0 ? 0 : 1, e.peer, e.rt);
      case 'route':
        return this.onRoute(e);
      case 'pmtu':
        return this.onPath(e, e.rt !== undefined ? 'update' : 'frag');
      case 'redirect':
        return this.onPath(e, 'redirect');
      case 'genid_bump':
        return this.onBump(e);
      case 'flush':
        return this.onFlush(e);
      case 'route_free':
        return this.onFree(e);
      case 'marker':
      case 'peer_pmtu': // outcomes.ts
      case 'route_mtu':
        return;
      default:
        this.rec.ignore(IGNORED[e.kind] ?? e.kind);
    }
  }

  // ---------------------------------------------------------------- the global genid

  /** An observation of G in any event field. */
  private observeG(e: CanonicalEvent, value: number | undefined): void {
    if (value === undefined || this.era === 'pre-genid') return;
    value = u32(value);
    if (this.G === undefined) {
      this.G = value;
      this.gHist.push(e);
      return;
    }
    if (value === this.G) {
      this.dropDone();
      this.gHist.push(e);
      return;
    }
    if (this.races.isBehind(this.G, value)) {
      // Several CPUs: this one read the genid before another CPU's bump that the trace shows
      // first (buffers merged by timestamp; a probe reads after taking its timestamp). A value
      // the genid recently had is a late print, not a move back.
      this.rec.unchecked('genid-steps-by-one-per-bump', 'a read on another CPU raced with a bump');
      return;
    }
    const delta = u32(value - this.G);
    const allowed = this.era === 'seed' ? 0 : this.causes.length;
    if (delta <= allowed) {
      for (const c of this.causes.splice(0, delta)) this.overlaps.genidMoved(c.ctx);
      this.rec.genidBumps += delta;
      this.rec.pass('genid-steps-by-one-per-bump');
    } else if (this.races.severalCpus && delta < 0x10000) {
      // Several CPUs: a bump path on another CPU shows itself at its return (the 3.0 probes print
      // frag_needed there), after this read of the moved genid. Owed until that return explains
      // it (finish() reports what nothing explained).
      for (const c of this.causes.splice(0, allowed)) this.overlaps.genidMoved(c.ctx);
      this.races.owe({ e, from: u32(this.G + allowed), to: value, count: delta - allowed, hist: snapshotRing(this.gHist, this.historySize) });
      this.rec.genidBumps += delta;
      this.overlaps.genidMoved(undefined);
    } else {
      const inv = e.kind === 'flush' ? 'flush-keeps-peer-genid' : 'genid-steps-by-one-per-bump';
      this.rec.fail(
        inv,
        e,
        allowed === 0 ? `genid ${this.G} (no bump path in progress)` : `genid ${this.G}..${u32(this.G + allowed)} (${allowed} bump path(s) in progress)`,
        `genid ${value}`,
        this.era === 'seed'
          ? `the global genid moved from ${this.G} to ${value}, but nothing bumps it in the seed`
          : `the global genid moved from ${this.G} to ${value} with no PMTU/redirect path to explain it`,
        this.gHist,
      );
      this.overlaps.genidMoved(undefined);
    }
    this.gHist.push(e);
    this.setG(value);
    this.dropDone();
  }
  /** Genid reads and bumps seen from several CPUs (genid-races.ts). */
  private readonly races = new GenidRaces();

  private setG(v: number): void {
    this.races.moved(this.G, v);
    this.G = v;
  }

  /** Causes whose call is over had their chance to show at this observation. */
  private dropDone(): void {
    if (this.causes.length && this.causes.some((c) => c.done)) this.causes = this.causes.filter((c) => !c.done);
  }

  /** Another event in the same context: the paths that context was in have returned. */
  private contextMoved(e: CanonicalEvent): void {
    const k = this.ctx(e);
    for (const c of this.causes) if (c.ctx === k) c.done = true;
  }

  private onPath(e: CanonicalEvent, kind: Cause['kind']): void {
    this.observeG(e, e.genid);
    if (e.rt) {
      const r = this.route(e.rt, e);
      r.hist.push(e);
      if (e.peer !== undefined || e.rtGenid !== undefined) this.sameRouteState(r, e);
      r.mayStamp = true; // update_pmtu may bind and pre-stamp this route
      this.overlaps.touch(e.rt, this.ctx(e));
    }
    this.contextMoved(e);
    if (this.era !== 'pmtu-redirect') return; // only the follow-ups' paths bump
    const cause: Cause = { kind, line: e.line, ctx: this.ctx(e), daddr: e.daddr, done: false, rt: e.rt };
    const pre = this.preLookups.get(cause.ctx);
    if (pre && pre.daddr === e.daddr) cause.lookup = pre.result;
    if (pre) this.preLookups.delete(cause.ctx);
    this.causes.push(cause);
    if (this.causes.length > 64) this.causes.shift();
  }

  private onBump(e: CanonicalEvent): void {
    if (e.counter && e.counter !== 'peer') return this.rec.ignore('genid_bump of a namespace counter in a cache era');
    if (e.old === undefined) {
      this.observeG(e, e.new ?? e.genid);
      return;
    }
    // `old` is the path's entry read: on several CPUs others may have bumped since (overlap.ts).
    const oldBehind = this.races.isBehind(this.G, u32(e.old));
    if (!oldBehind) this.observeG(e, e.old);
    const nv = e.new ?? e.genid;
    if (nv === undefined) return;
    const delta = u32(nv - e.old);
    // The bump is the path's in this context (its return probe); FIFO only when none is.
    const k = this.ctx(e);
    let ci = this.causes.findIndex((c) => c.ctx === k);
    if (ci < 0) ci = 0;
    const cause = this.causes.length ? this.causes.splice(ci, 1)[0] : undefined;
    if (delta > 0) this.overlaps.genidMoved(cause?.ctx ?? k);
    if (oldBehind) return this.concurrentBump(e, u32(e.old), u32(nv), cause);
    let ok: boolean;
    let expected: string;
    if (this.era === 'pre-genid') {
      ok = delta === 0;
      expected = 'no genid moving (pre-genid kernels have no peer genid)';
    } else if (this.era === 'seed') {
      // The seed has no bumper of its own: its PMTU/redirect paths never move the genid. A bare
      // bump event (an explicit bump, what the follow-ups add) is checked for +1 only.
      const inPath = /frag_needed|redirect|update_pmtu/.test(e.probe ?? '');
      ok = inPath ? delta === 0 : delta <= 1;
      expected = inPath ? '+0 (the seed\'s PMTU/redirect paths do not bump)' : '+1';
    } else if (!cause && this.pathInHole) {
      // The first event of this context after lost events: its path's entry may be in the hole.
      this.rec.unchecked('genid-steps-by-one-per-bump', 'the bump path that explains a move may be in lost events');
      this.gHist.push(e);
      this.G = u32(nv);
      return;
    } else if (!cause) {
      ok = delta === 0;
      expected = 'no bump (no PMTU/redirect path in progress)';
    } else if (cause.kind === 'frag' && !this.late) {
      const want = cause.lookup === 'null' ? 0 : 1;
      ok = cause.lookup === undefined ? delta <= 1 : delta === want;
      expected = cause.lookup === undefined ? '+0 or +1' : `+${want} (ip_rt_frag_needed bumps once per call that got a peer)`;
    } else if (cause.kind === 'redirect' && !this.late && cause.lookup !== undefined) {
      const want = cause.lookup === 'peer' ? 1 : 0;
      ok = delta === want;
      expected = `+${want} (an accepted redirect bumps once)`;
    } else {
      ok = delta <= 1;
      expected = '+0 or +1';
    }
    if (!ok && this.races.severalCpus && delta > 1 && delta <= 16 && this.era !== 'pre-genid' && this.era !== 'seed') {
      // Several CPUs: bump paths on other CPUs ran inside this one (their entries print nothing
      // to replay before their returns). Owed: their returns must account for the extra moves.
      this.races.owe({ e, from: u32(e.old), to: u32(nv), count: delta - 1, hist: snapshotRing(this.gHist, this.historySize) });
      this.rec.unchecked('genid-steps-by-one-per-bump', 'other CPUs bumped during this path');
      this.rec.genidBumps += delta;
    } else if (ok) {
      this.rec.pass('genid-steps-by-one-per-bump');
      this.rec.genidBumps += delta;
      if (cause?.kind === 'update' && cause.rt && delta === 1) {
        const r = this.routes.get(cause.rt);
        // update_pmtu that learned pre-stamps its route with the new genid.
        if (r && !r.incomplete) r.rtGenid = u32(nv);
      }
    } else {
      this.rec.fail('genid-steps-by-one-per-bump', e, `genid ${e.old} -> ${expected}`, `${e.old} -> ${nv} (+${delta})`, `genid moved by ${delta} in ${e.probe ?? 'a bump path'}`, this.gHist);
    }
    this.gHist.push(e);
    this.setG(u32(nv));
  }

  /**
   * A bump path's return on a trace where other CPUs bumped during the path (its entry read is
   * behind the genid): the path's own move is at most one of `old..new`; the others were seen.
   */
  private concurrentBump(e: CanonicalEvent, old: number, nv: number, cause: Cause | undefined): void {
    const delta = u32(nv - old);
    const ahead = u32(nv - this.G!) < 0x80000000 && nv !== this.G;
    // Its own move is one of old..new, among other CPUs' moves: the path gives one credit for a
    // move in its window; the moves not seen yet are owed like any other (matched at the end).
    this.rec.unchecked('genid-steps-by-one-per-bump', 'other CPUs bumped during this path');
    void cause; // its cause was taken off the list: the credit replaces it
    if (delta > 0) this.races.credit(old, nv);
    if (ahead) this.observeG(e, nv);
    this.gHist.push(e);
  }

  private onFlush(e: CanonicalEvent): void {
    this.rec.flushes++;
    this.contextMoved(e);
    this.observeG(e, e.genid);
    this.flushCount++;
    if (e.genid !== undefined) this.rec.pass('flush-keeps-peer-genid');
  }

  // ---------------------------------------------------------------- routes and peers

  /** Cross-event consistency of a route's peer and genid as an event shows them. */
  private sameRouteState(r: RouteRec, e: CanonicalEvent): boolean {
    let ok = true;
    const peer = e.kind === 'check_ret' || e.kind === 'bind_ret' ? undefined : e.kind === 'bind' ? e.peer : e.peer;
    // Another CPU/task has a call on this route open: this entry probe may have read the route
    // before that call's bind or stamp which the trace printed first (overlap.ts).
    const racing = this.overlaps.othersOpen(r.ptr, this.ctx(e));
    if (peer !== undefined) {
      if (r.incomplete) this.rec.unchecked('bind-never-replaces-peer', 'route history crosses lost events');
      else if (racing && isNull(peer) && r.peer !== undefined && !isNull(r.peer)) {
        // Read before another CPU/task's bind that the trace printed first: the route keeps the
        // peer that call installed.
        this.rec.unchecked('bind-never-replaces-peer', 'read before a bind on another CPU/task');
      } else if (r.peer !== undefined && !isNull(r.peer)) {
        if (peer !== r.peer) {
          ok = false;
          this.rec.fail('bind-never-replaces-peer', e, `peer ${r.peer}`, `peer ${peer}`, `route ${r.ptr} changed its peer from ${r.peer} to ${peer}`, r.hist, r.ptr);
        } else this.rec.pass('bind-never-replaces-peer');
        r.peer = peer;
      } else r.peer = peer;
    }
    if (e.rtGenid !== undefined && e.kind !== 'route') {
      const g = u32(e.rtGenid);
      if (r.rtGenid !== undefined && g !== r.rtGenid) {
        if (r.incomplete) this.rec.unchecked('route-genid-changes-only-by-stamp', 'route history crosses lost events');
        else if (r.mayStamp) this.rec.unchecked('route-genid-changes-only-by-stamp', 'an unattributed bind or update_pmtu may have stamped it');
        else if (racing) {
          // Stamped meanwhile, or read before a stamp printed first: which value is newer is not
          // known until the next stamp this replay sees.
          this.rec.unchecked('route-genid-changes-only-by-stamp', 'a call on another CPU/task may stamp it meanwhile');
          r.rtGenid = undefined;
          return ok;
        } else {
          ok = false;
          this.rec.fail('route-genid-changes-only-by-stamp', e, `rt_peer_genid ${r.rtGenid}`, `rt_peer_genid ${g}`, `route ${r.ptr} rt_peer_genid changed from ${r.rtGenid} to ${g} with no stamp in between`, r.hist, r.ptr);
        }
      } else if (r.rtGenid !== undefined) this.rec.pass('route-genid-changes-only-by-stamp');
      r.rtGenid = g;
    }
    return ok;
  }

  private onRoute(e: CanonicalEvent): void {
    // A lookup made while creating a route (rt_init_metrics): a lookup result for the destination.
    if (e.daddr !== undefined && e.peer !== undefined) this.onLookupResult(e, e.daddr, e.create === 1 ? 1 : 0, e.peer, undefined);
    this.observeG(e, e.genid);
    if (!e.rt) return;
    const old = this.routes.get(e.rt);
    if (old) this.routes.delete(e.rt); // pointer reuse: a new route
    const r = this.route(e.rt, e);
    r.hist.push(e);
    r.peer = e.peer;
    if (e.rtGenid !== undefined) {
      r.rtGenid = u32(e.rtGenid);
      const G = e.genid ?? this.G;
      if (G === undefined || e.peer === undefined) this.rec.unchecked('new-route-stamp', 'peer or genid at creation not observed');
      else {
        const want = this.era === 'seed' ? u32(G) : this.era === 'pre-genid' ? r.rtGenid : isNull(e.peer) ? 0 : u32(G);
        if (r.rtGenid === want) this.rec.pass('new-route-stamp');
        else this.rec.fail('new-route-stamp', e, `rt_peer_genid ${want}`, `rt_peer_genid ${r.rtGenid}`, `new route ${e.rt} stamped ${r.rtGenid}`, r.hist, r.ptr);
      }
    }
  }

  private onFree(e: CanonicalEvent): void {
    if (!e.rt) return;
    const r = this.routes.get(e.rt);
    if (r) {
      r.hist.push(e);
      if (e.peer !== undefined && !r.incomplete && r.peer !== undefined && !isNull(r.peer)) {
        if (e.peer === r.peer) this.rec.pass('bind-never-replaces-peer');
        else this.rec.fail('bind-never-replaces-peer', e, `peer ${r.peer}`, `peer ${e.peer}`, `route ${r.ptr} was destroyed holding another peer`, r.hist, r.ptr);
      }
      this.routes.delete(e.rt);
    }
    if (e.daddr && e.peer && !isNull(e.peer)) this.peerOf.set(e.daddr, e.peer);
  }

  /** A lookup for daddr returned `peer` (create flag known). */
  /** `daddr` and `rt` are passed apart from the event: a return may lack them (no copy of the event). */
  private onLookupResult(e: CanonicalEvent, daddr: string | undefined, create: 0 | 1, peer: string | undefined, rt: string | undefined, entryLine?: number): void {
    if (daddr === undefined || peer === undefined) return;
    this.lookupsObserved = true;
    const known = this.peerOf.get(daddr);
    const k = this.ctx(e);
    if (create === 0 && !isNull(peer) && known !== undefined) {
      if (known === peer) this.rec.pass('lookup-only-never-creates-peer');
      else if (isNull(known) && this.gone.get(daddr) === peer) {
        // This peer was seen before a lookup on another CPU/task printed "none": that lookup ran
        // before the peer was linked and returned after it (its return printed late).
        this.rec.unchecked('lookup-only-never-creates-peer', 'a concurrent lookup printed "none" after the peer existed');
      } else if (this.suspects.length < 200) {
        // The creator (a create=1 lookup on another CPU/task) may link the peer before its own
        // return prints: decided when that return shows, or at the end of the trace.
        const h = rt ? this.routes.get(rt)?.hist : undefined;
        this.suspects.push({ e, daddr, peer, known, ctx: k, rt, hist: h && snapshotRing(h, this.historySize) });
      } else this.failCreated(e, daddr, known, peer, rt);
    } else if (create === 0) this.rec.pass('lookup-only-never-creates-peer');
    if (create === 1 && !isNull(peer) && this.suspects.length && entryLine !== undefined) {
      // A create=1 lookup in another context that was already running when the suspect returned.
      const before = this.suspects.length;
      this.suspects = this.suspects.filter((x) => !(x.daddr === daddr && x.peer === peer && x.ctx !== k && entryLine < x.e.line));
      for (let i = this.suspects.length; i < before; i++) this.rec.unchecked('lookup-only-never-creates-peer', 'the peer was being created on another CPU/task at the same time');
    }
    if (isNull(peer) && known !== undefined && !isNull(known)) this.gone.set(daddr, known);
    else if (!isNull(peer)) this.gone.delete(daddr);
    const site = callerSite(e.caller);
    if (e.kind === 'peer_new' || site === 'path') {
      // A path's own lookup (frag_needed / redirect / update_pmtu): remember what it got, on the
      // path in progress for that destination, or for the path event that follows (a reader may
      // emit the path event at its return, after the lookup).
      // The path is the one in progress in this lookup's own context (several CPUs may be in one).
      const result = isNull(peer) ? 'null' : 'peer';
      let attached = false;
      for (let i = this.causes.length - 1; i >= 0; i--) {
        const c = this.causes[i]!;
        if (c.ctx === k && !c.done && c.lookup === undefined && (c.daddr === undefined || c.daddr === daddr)) {
          c.lookup = result;
          attached = true;
          break;
        }
      }
      if (!attached) {
        if (this.preLookups.size >= MAX_CONTEXTS) this.preLookups.clear();
        this.preLookups.set(k, { daddr: daddr, result });
      }
    }
    if (isNull(peer)) {
      if (create === 0) this.peerOf.set(daddr, NULL);
    } else this.peerOf.set(daddr, peer);
    if ((e.kind === 'bind' || e.kind === 'bind_ret') && !rt && site !== 'path' && site !== 'creation') {
      // A bind whose route is not known (an inlined rt_bind_peer, e.g. __ip_select_ident) may
      // bind and stamp any live route to this destination. (The PMTU/redirect paths' own lookups
      // and route creation bind no existing route.)
      for (const r of this.routes.values()) {
        if (r.daddr !== daddr) continue;
        r.mayStamp = true;
        this.overlaps.touch(r.ptr, k);
      }
    }
  }
  /** The last peer seen for a destination before a lookup printed "none" for it. */
  private readonly gone = new Map<string, string>();

  private failCreated(e: CanonicalEvent, daddr: string, known: string | undefined, peer: string, rt: string | undefined, hist?: Ring): void {
    this.rec.fail(
      'lookup-only-never-creates-peer',
      e,
      known === undefined || isNull(known) ? `no peer for ${daddr} (a lookup showed none and no create=1 lookup followed)` : `peer ${known} (the existing peer of ${daddr})`,
      `peer ${peer}`,
      `a lookup-only (create=0) bind produced peer ${peer} for ${daddr}`,
      hist ?? (rt ? this.routes.get(rt)?.hist : undefined),
      rt,
    );
  }

  /** Suspects left: no creator on another CPU/task showed up for them. */
  private resolveSuspects(lost = false): void {
    for (const x of this.suspects) {
      if (lost) this.rec.unchecked('lookup-only-never-creates-peer', 'its creator may be in lost events');
      else this.failCreated(x.e, x.daddr, x.known, x.peer, x.rt, x.hist);
    }
    this.suspects = [];
  }

  /** A path's own lookup seen before its path event (frag_needed is emitted at its return), per context. */
  private readonly preLookups = new Map<number, { daddr: string; result: 'peer' | 'null' }>();

  // ---------------------------------------------------------------- checks and binds

  private onCheck(e: CanonicalEvent): void {
    this.rec.checks++;
    this.contextMoved(e);
    if (!e.rt) return this.rec.ignore('check without a route pointer');
    this.observeG(e, e.genid);
    const r = this.route(e.rt, e);
    const wasIncomplete = r.incomplete;
    this.sameRouteState(r, e);
    r.hist.push(e);
    r.incomplete = false;
    r.mayStamp = false;
    if (e.peer !== undefined) r.peer = e.peer;
    let path: PendingCheck['path'];
    const flushed = (e.obsolete !== undefined && e.obsolete > 0) || r.flushAtSight < this.flushCount;
    if (flushed) path = 'expired';
    else if (this.era === 'pre-genid') path = 'fast';
    else if (e.rtGenid === undefined || e.genid === undefined) path = 'unknown';
    else path = u32(e.rtGenid) === u32(e.genid) ? 'fast' : 'slow';
    if (path === 'slow' && e.peer === undefined) path = 'unknown';
    const k = this.ctx(e);
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
    stack.push({ ev: e, route: r, path, binds: 0, w: this.overlaps.open(r.ptr, k) });
    void wasIncomplete;
  }

  private onBind(e: CanonicalEvent): void {
    this.rec.binds++;
    const p = this.pendingFor(e);
    if (p) {
      p.binds++;
      p.route.hist.push(e);
      this.overlaps.touch(p.route.ptr, p.w.ctx);
      this.bindInCheck(p, e);
      return;
    }
    if (e.rt) {
      const r = this.route(e.rt, e);
      r.hist.push(e);
      this.sameRouteState(r, e);
      this.observeG(e, e.genid);
      r.mayStamp = true;
      // A bind naming its route is a call on it, open until its return (overlap.ts).
      const k = this.ctx(e);
      let ws = this.bindWindows.get(k);
      if (!ws) {
        if (this.bindWindows.size >= MAX_CONTEXTS) pruneEmpty(this.bindWindows);
        this.bindWindows.set(k, (ws = []));
      }
      if (ws.length >= MAX_NESTED) this.overlaps.close(ws.shift()!);
      ws.push(this.overlaps.open(e.rt, k));
    } else {
      if (this.lastBindEntry.size >= MAX_CONTEXTS) prune(this.lastBindEntry);
      this.lastBindEntry.set(this.ctx(e), e);
    }
  }
  /** A lookup entry not attributed to a route, per context: its return may lack daddr/create. */
  private readonly lastBindEntry = new Map<number, CanonicalEvent | undefined>();

  /** The pending check this bind belongs to: same route, or no route but inside the check (inlined). */
  private pendingFor(e: CanonicalEvent): PendingCheck | undefined {
    const stack = this.pending.get(this.ctx(e));
    const p = stack?.length ? stack[stack.length - 1] : undefined;
    if (!p) return undefined;
    if (e.rt) return e.rt === p.route.ptr ? p : undefined;
    if (e.caller && !e.caller.startsWith('ipv4_dst_check')) return undefined;
    return e.daddr === undefined || p.route.daddr === undefined || e.daddr === p.route.daddr ? p : undefined;
  }

  private bindInCheck(p: PendingCheck, e: CanonicalEvent): void {
    if (e.kind !== 'bind') return;
    if (p.binds > 1) return;
    const r = p.route;
    if (p.path === 'expired') {
      this.rec.fail('expired-route-fails', e, 'no lookup (an expired route fails before the genid test)', describeBind(e), `expired route ${r.ptr} looked its peer up`, r.hist, r.ptr);
    } else if (p.path === 'fast') {
      // Decided at the return: another CPU may have moved the genid between the entry probe and
      // the compare (overlap.ts).
      p.fastBind = e;
    } else if (p.path === 'slow' && !isNull(p.ev.peer)) {
      this.rec.fail('check-binds-only-peerless', e, 'no bind (the route already has a peer)', describeBind(e), `check bound route ${r.ptr} which already had peer ${p.ev.peer}`, r.hist, r.ptr);
    }
    if (e.create !== undefined) {
      if (e.create === 0) this.rec.pass('check-bind-is-lookup-only');
      else this.rec.fail('check-bind-is-lookup-only', e, 'create=0', `create=${e.create}`, `the check's bind of route ${r.ptr} may create a peer`, r.hist, r.ptr);
    }
  }

  private onBindRet(e: CanonicalEvent): void {
    const p = this.pendingFor(e);
    const create = (e.create ?? (p ? 0 : undefined)) as 0 | 1 | undefined;
    if (p) {
      p.route.hist.push(e);
      this.overlaps.touch(p.route.ptr, p.w.ctx);
      if (p.binds === 0) {
        // The entry was not seen (or the reader emits only the return): count the bind here.
        p.binds++;
        this.bindInCheck(p, { ...e, kind: 'bind' });
      }
      if (e.peer !== undefined) p.bindPeer = e.peer;
      const d = e.daddr ?? p.route.daddr;
      this.onLookupResult(e, d, create === 1 ? 1 : 0, e.peer, p.route.ptr);
      return;
    }
    if (e.rt) {
      const r = this.route(e.rt, e);
      r.hist.push(e);
      const k = this.ctx(e);
      const ws = this.bindWindows.get(k);
      const wi = ws ? ws.findLastIndex((w) => w.route === e.rt) : -1;
      const w = wi >= 0 ? ws!.splice(wi, 1)[0]! : undefined;
      if (w) this.overlaps.close(w);
      this.overlaps.touch(e.rt, k);
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
      this.observeG(e, e.genid);
      if (e.daddr !== undefined && e.peer !== undefined && create !== undefined && (isNull(e.peerBefore) || e.peerBefore === undefined)) {
        this.onLookupResult(e, e.daddr, create, e.peer, e.rt);
      }
      return;
    }
    const k = this.ctx(e);
    const entry = this.lastBindEntry.get(k);
    // Overwritten, not deleted: a delete per return leaves a hole in the Map's table each time
    // (rehashing and garbage); the slot is reused by the context's next lookup.
    if (entry !== undefined) this.lastBindEntry.set(k, undefined);
    const c = create ?? (entry?.create as 0 | 1 | undefined);
    const daddr = e.daddr ?? entry?.daddr;
    if (c !== undefined && daddr !== undefined) this.onLookupResult(e, daddr, c, e.peer, e.rt, entry?.line);
  }

  private onCheckRet(e: CanonicalEvent): void {
    const stack = this.pending.get(this.ctx(e));
    const p = stack?.length ? stack[stack.length - 1] : undefined;
    if (!p || (e.rt && e.rt !== p.route.ptr)) {
      this.rec.ignore('check_ret without its check (duplicate return probe or lost entry)');
      return;
    }
    stack!.pop(); // the context's array stays (no Map delete per return: see onBindRet)
    const r = p.route;
    const w = p.w;
    r.hist.push(e);
    const ret = e.ret;
    if (ret === undefined) {
      this.overlaps.close(w);
      return this.rec.ignore('check_ret without a return value');
    }
    const valid = !isNull(ret);
    // --- the verdict
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
    if (ret === r.ptr) this.rec.pass('check-returns-its-route');
    else this.rec.fail('check-returns-its-route', e, `dst ${r.ptr}`, `dst ${ret}`, `check of ${r.ptr} returned another dst`, r.hist, r.ptr);
    this.observeG(e, e.genid);
    // The window closes after the genid this return read: a bump it shows happened inside it.
    this.overlaps.close(w);
    const gMoved = w.gMovedByOther || w.gMovedBySelf;
    // --- the lookup expectation
    if (p.path === 'slow' && isNull(p.ev.peer)) {
      if (p.binds > 0) this.rec.pass('slow-path-looks-up-peer');
      else if (w.overlapped) {
        // Another CPU/task stamped the route after this entry probe read it, or installed its
        // peer first: the C found it current or bound, and looked nothing up.
        this.rec.unchecked('slow-path-looks-up-peer', 'another CPU/task checked or bound the route during this check');
      } else if (this.missingBinds.length < 200) this.missingBinds.push({ ev: e, route: r, hist: snapshotRing(r.hist, this.historySize) });
      else this.missingBindsOverflow++; // constant memory: details kept for the first 200 only
    } else if (p.path === 'fast' && p.fastBind) {
      if (gMoved) this.rec.unchecked('current-check-is-noop', 'the genid moved between the entry probe and the compare');
      else this.rec.fail('current-check-is-noop', p.fastBind, 'no lookup (genid current)', describeBind(p.fastBind), `check of route ${r.ptr} with a current genid looked its peer up`, r.hist, r.ptr);
    } else if (p.path === 'fast' && p.binds === 0 && !gMoved) this.rec.pass('current-check-is-noop');
    // --- the state after
    if (this.era !== 'pre-genid') {
      if (e.rtGenid !== undefined && e.genid !== undefined) {
        const gEntry = p.ev.genid;
        if (u32(e.rtGenid) === u32(e.genid)) this.rec.pass('check-restamps');
        else if (gMoved && gEntry !== undefined && u32(e.rtGenid - gEntry) < u32(e.genid - gEntry)) {
          // Stamped with a value the genid had during the call; a bump (already accounted to its
          // path) came between the stamp and this return probe's read.
          this.rec.unchecked('check-restamps', 'the genid moved on after the stamp (a bump on another CPU/task)');
        } else this.rec.fail('check-restamps', e, `rt_peer_genid ${u32(e.genid)} (= genid)`, `rt_peer_genid ${u32(e.rtGenid)}`, `route ${r.ptr} left the check with a stale genid`, r.hist, r.ptr);
      } else this.rec.unchecked('check-restamps', 'genids at the return not observed');
    }
    if (e.peer !== undefined && p.ev.peer !== undefined) {
      const want = !isNull(p.ev.peer) ? p.ev.peer : p.binds > 0 ? p.bindPeer : p.path === 'fast' ? p.ev.peer : undefined;
      if (want === undefined) this.rec.unchecked('slow-path-attaches-existing-peer', "the check's bind result was not observed");
      else if (want === e.peer) this.rec.pass(isNull(p.ev.peer) ? 'slow-path-attaches-existing-peer' : 'bind-never-replaces-peer');
      else if (!isNull(p.ev.peer)) this.rec.fail('bind-never-replaces-peer', e, `peer ${want}`, `peer ${e.peer}`, `route ${r.ptr} left the check with another peer`, r.hist, r.ptr);
      else if (isNull(want) && !isNull(e.peer) && w.overlapped) {
        // The lost cmpxchg: this check found no peer (or lost), another CPU/task's bind installed
        // one on the route; the route keeps the winner's.
        this.rec.unchecked('slow-path-attaches-existing-peer', "another CPU/task's bind installed its peer first");
      } else this.rec.fail('slow-path-attaches-existing-peer', e, `peer ${want}`, `peer ${e.peer}`, `route ${r.ptr} does not hold what its bind found`, r.hist, r.ptr);
    }
    if (p.path === 'fast' && e.rtGenid !== undefined && p.ev.rtGenid !== undefined && u32(e.rtGenid) !== u32(p.ev.rtGenid)) {
      if (gMoved) this.rec.unchecked('current-check-is-noop', 'the genid moved between the entry probe and the compare');
      else this.rec.fail('current-check-is-noop', e, `rt_peer_genid ${p.ev.rtGenid}`, `rt_peer_genid ${e.rtGenid}`, `check of a current route changed its genid`, r.hist, r.ptr);
    }
    if (e.peer !== undefined) r.peer = e.peer;
    if (e.rtGenid !== undefined) r.rtGenid = u32(e.rtGenid);
    // This return's stamp is an act on the route for the other contexts' open calls.
    this.overlaps.touch(r.ptr, w.ctx);
  }

  /** End of trace: resolve the deferred expectations. */
  finish(): void {
    this.outcomes.finish();
    for (const m of this.missingBinds) {
      if (this.lookupsObserved) {
        this.rec.fail('slow-path-looks-up-peer', m.ev, 'one create=0 bind before the return (route peerless, genid stale)', 'no bind', `check of peerless route ${m.route.ptr} with a stale genid returned without looking its peer up`, m.hist, m.route.ptr);
      } else this.rec.unchecked('slow-path-looks-up-peer', 'the trace has no peer lookup events');
    }
    for (let i = 0; i < this.missingBindsOverflow; i++) {
      if (this.lookupsObserved) this.rec.failCount('slow-path-looks-up-peer');
      else this.rec.unchecked('slow-path-looks-up-peer', 'the trace has no peer lookup events');
    }
    this.missingBinds = [];
    for (const o of this.races.unpaid()) {
      const inv = o.e.kind === 'flush' ? 'flush-keeps-peer-genid' : 'genid-steps-by-one-per-bump';
      this.rec.fail(inv, o.e, `genid ${o.from} (no bump path in progress)`, `genid ${u32(o.from + o.count)}`, `the global genid moved from ${o.from} by ${o.count} with no PMTU/redirect path to explain it`, o.hist);
    }
    for (const st of this.pending.values()) {
      for (let i = 0; i < st.length; i++) this.rec.unchecked('check-returns-its-route', 'check without a return at the end of the trace');
    }
    this.resolveSuspects();
  }
}

/**
 * Who made a lookup, from a kretprobe's caller: a PMTU/redirect path's own lookup, route creation
 * (rt_init_metrics inlined in rt_set_nexthop), or anything else (an inlined rt_bind_peer on a
 * route). Memoised: callers are few distinct strings.
 */
const SITES = new Map<string, 'path' | 'creation' | 'other'>();
function callerSite(caller: string | undefined): 'path' | 'creation' | 'other' | undefined {
  if (caller === undefined) return undefined;
  let s = SITES.get(caller);
  if (s === undefined) {
    s = /frag_needed|ip_rt_redirect|update_pmtu/.test(caller) ? 'path' : /rt_set_nexthop|rt_init_metrics/.test(caller) ? 'creation' : 'other';
    if (SITES.size < 4096) SITES.set(caller, s);
  }
  return s;
}

/** Reasons for events this era does not use (constant strings: no allocation per event). */
const IGNORED: Partial<Record<string, string>> = {
  fnhe: 'fnhe (next-hop exceptions do not exist before 3.6)',
};

function snapshotRing(r: Ring, size: number): Ring {
  const copy = new Ring(size);
  for (const e of r.items()) copy.push(e);
  return copy;
}

function describeBind(e: CanonicalEvent): string {
  return `bind create=${e.create ?? '?'}${e.daddr ? ` daddr=${e.daddr}` : ''}`;
}
