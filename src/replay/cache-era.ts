/**
 * Replay of the routing-cache eras (seed, pmtu-redirect, pre-genid): the model's predictions
 * applied to the state the trace shows, one event at a time, O(1) each. Each job is a tracker in
 * cache/; `handle()` only routes an event to the trackers it concerns, in a fixed order:
 * - cache/genid.ts     the global genid G moves only through the bump paths, +1 per bump;
 * - cache/routes.ts    a route keeps its peer until destroyed, its genid changes only by a stamp,
 *                      a new route starts stamped as its era says;
 * - cache/lookups.ts   a create=0 lookup never produces a peer where the trace showed none;
 * - cache/checks.ts    a check's path (expired, current, stale) and what it returns and leaves;
 * - cache/binds.ts     binds inside a check, on a named route, or for a destination;
 * - outcomes.ts        what the PMTU/redirect paths must do (route MTU, gateway, peer state).
 * The stages of the pmtu-redirect era (S2..S5) change what a trace can show: stage-rules.ts.
 * Kernel facts the checks follow are the 3.0.1 traces' (traces/README.md): new routes start at
 * 0 (rt_init_metrics stamps only with a peer); the getpeer return with caller ipv4_dst_check is
 * the check's lookup-only bind.
 */
import type { CacheEra } from '../core/eras.ts';
import type { ReplayStage } from './stage-rules.ts';
import type { CanonicalEvent, EventKind } from '../trace/events.ts';
import { eventKey } from '../trace/callctx.ts';
import type { Recorder } from './coverage.ts';
import { OutcomeJudge } from './outcomes.ts';
import { Overlaps } from './overlap.ts';
import { BindTracker } from './cache/binds.ts';
import { CheckTracker } from './cache/checks.ts';
import { MAX_CONTEXTS } from './cache/common.ts';
import { GenidTracker, type PathKind } from './cache/genid.ts';
import { LookupTracker } from './cache/lookups.ts';
import { RouteTable } from './cache/routes.ts';

export class CacheEraReplayer {
  private readonly overlaps = new Overlaps();
  private readonly routes: RouteTable;
  private readonly genid: GenidTracker;
  private readonly lookups: LookupTracker;
  private readonly checks: CheckTracker;
  private readonly binds: BindTracker;
  /** What the PMTU/redirect paths must do (route MTU, gateway, peer state): judged alongside. */
  private readonly outcomes: OutcomeJudge;
  /** Contexts that showed an event since the last lost-events gap (only tracked once there was one). */
  private readonly seenSinceGap = new Set<number>();
  private hadGap = false;
  /** The event being handled is its context's first since a gap, and a bump. */
  private pathInHole = false;

  constructor(era: CacheEra, private readonly rec: Recorder, historySize: number, stage: ReplayStage = 'unknown') {
    this.routes = new RouteTable(era, rec, historySize, this.overlaps, stage, () => this.genid.current, () => this.genid.mayBeConcurrent);
    this.genid = new GenidTracker(era, rec, historySize, stage === 'unknown' ? undefined : stage === 'S4' || stage === 'S5', this.overlaps, this.routes);
    this.lookups = new LookupTracker(rec, historySize, this.routes, this.genid, era, stage);
    this.checks = new CheckTracker(era, rec, historySize, this.overlaps, this.routes, this.genid);
    this.binds = new BindTracker(rec, this.overlaps, this.routes, this.genid, this.lookups, this.checks);
    this.outcomes = new OutcomeJudge(era, stage, rec, (rt) => (rt === undefined ? undefined : this.routes.get(rt)?.hist));
  }

  handle(e: CanonicalEvent): void {
    this.genid.noteCpu(e.cpu, e.irq);
    const k = eventKey(e);
    this.routes.contextMoved(k, e);
    this.outcomes.handle(e, k);
    if (this.hadGap) this.notePathInHole(e, k);
    switch (e.kind) {
      case 'check':
        return this.checks.onCheck(e);
      case 'check_ret':
        return this.checks.onCheckRet(e);
      case 'bind':
        return this.binds.onBind(e);
      case 'bind_ret':
        return this.binds.onBindRet(e);
      case 'peer_new':
        return this.lookups.result(e, e.daddr, e.create === 0 ? 0 : 1, e.peer, e.rt);
      case 'route':
        this.lookups.atCreation(e);
        this.genid.observe(e, e.genid);
        if (e.rt) this.routes.onRoute(e, e.rt, this.genid.current);
        return;
      case 'pmtu':
        return this.onPath(e, e.rt !== undefined ? 'update' : 'frag');
      case 'redirect':
        return this.onPath(e, 'redirect');
      case 'genid_bump':
        return this.genid.onBump(e, this.pathInHole);
      case 'flush':
        this.rec.flushes++;
        this.genid.onFlush(e);
        this.routes.onFlush(k);
        return;
      case 'route_free':
        if (!e.rt) return;
        this.routes.onFree(e, e.rt);
        return this.lookups.destroyed(e);
      case 'marker':
      case 'peer_pmtu': // outcomes.ts
      case 'route_mtu':
        return;
      case 'fnhe':
        return this.rec.ignore('fnhe (next-hop exceptions do not exist before 3.6)');
      default:
        return this.rec.ignore(unknownKind(e.kind));
    }
  }

  private onPath(e: CanonicalEvent, kind: PathKind): void {
    this.genid.observe(e, e.genid);
    if (e.rt) this.routes.onPath(e, e.rt);
    this.genid.onPath(e, kind);
  }

  /** After a gap: a bump that is its context's first event since may have its path's entry in the hole. */
  private notePathInHole(e: CanonicalEvent, k: number): void {
    if (this.seenSinceGap.has(k)) {
      this.pathInHole = false;
      return;
    }
    this.pathInHole = e.kind === 'genid_bump';
    if (this.seenSinceGap.size >= MAX_CONTEXTS) this.seenSinceGap.clear();
    this.seenSinceGap.add(k);
  }

  /**
   * Lost events after line `from` (0: not known where): what happened in the hole is unknown.
   * Routes keep their records but become incomplete; pending expectations, the genid and the peer
   * knowledge start over (the genid's paths in progress keep their causes: genid.ts).
   */
  gap(from = 0): void {
    this.routes.gap();
    this.checks.gap();
    this.binds.gap();
    this.overlaps.reset();
    this.lookups.gap();
    this.genid.gap(from);
    // Contexts not seen since the hole may have begun a path inside it.
    this.seenSinceGap.clear();
    this.hadGap = true;
    this.outcomes.gap();
  }

  /** End of trace: resolve the deferred expectations. */
  finish(): void {
    this.outcomes.finish();
    this.checks.finishMissingBinds(this.lookups.observed);
    this.genid.finish();
    this.checks.finishOpen();
    this.lookups.finish();
  }
}

/** An event kind this switch does not know: a compile error when a kind is added to EventKind. */
function unknownKind(kind: never): string {
  return kind as EventKind;
}
