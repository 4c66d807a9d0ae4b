/**
 * Peer lookups in the routing-cache eras: what exists per destination, as lookups and destroyed
 * routes show it, so that a lookup-only (create=0) bind is seen never to produce a peer where a
 * lookup showed none. On several CPUs the creator may link the peer before its own return
 * prints: such a suspect waits for that return (or the end of the trace) before it is judged.
 */
import type { CacheEra } from '../../core/eras.ts';
import type { CanonicalEvent } from '../../trace/events.ts';
import { eventKey } from '../../trace/callctx.ts';
import type { Recorder, Ring } from '../coverage.ts';
import { isNull, NULL, snapshotRing } from './common.ts';
import type { GenidTracker } from './genid.ts';
import type { RouteTable } from './routes.ts';
import { freedRoutePeerIsCurrent, pathLookupMayBindRoute, type ReplayStage } from '../stage-rules.ts';
import { own } from '../../trace/columns/cursor.ts';

/** Suspects kept with their details; past this many a suspect is judged at once. */
const MAX_SUSPECTS = 200;

interface Suspect {
  e: CanonicalEvent;
  daddr: string;
  peer: string;
  known: string;
  ctx: number;
  rt?: string;
  hist?: Ring;
}

type Site = 'path' | 'creation' | 'other';

export class LookupTracker {
  /** Peer knowledge per destination: a pointer, NULL (a lookup showed none), or absent (unknown). */
  private readonly peerOf = new Map<string, string>();
  /** The last peer seen for a destination before a lookup printed "none" for it. */
  private readonly gone = new Map<string, string>();
  /** A create=0 lookup that returned a peer where a lookup had shown none: decided when its creator shows. */
  private suspects: Suspect[] = [];
  /** The trace shows peer lookups at all (a missing one is a divergence only then). */
  observed = false;

  constructor(
    private readonly rec: Recorder,
    private readonly historySize: number,
    private readonly routes: RouteTable,
    private readonly genid: GenidTracker,
    private readonly era: CacheEra = 'pmtu-redirect',
    private readonly stage: ReplayStage = 'unknown',
  ) {}

  /** Lost events: the suspects' creators may be in the hole; what exists is unknown. */
  gap(): void {
    this.resolveSuspects(true);
    this.peerOf.clear();
  }

  /** End of trace: suspects no creator on another CPU/task showed up for. */
  finish(): void {
    this.resolveSuspects();
  }

  /** A route destroyed holding its peer: the peer exists (and is its destination's, but in S5: stage-rules.ts). */
  destroyed(e: CanonicalEvent): void {
    if (e.daddr && e.peer && !isNull(e.peer) && freedRoutePeerIsCurrent(this.era, this.stage)) this.peerOf.set(e.daddr, e.peer);
  }

  /** A lookup made while creating a route (rt_init_metrics): a lookup result for the destination. */
  atCreation(e: CanonicalEvent): void {
    if (e.daddr !== undefined && e.peer !== undefined) this.result(e, e.daddr, e.create === 1 ? 1 : 0, e.peer, undefined);
  }

  /**
   * A lookup for `daddr` returned `peer`. `daddr` and `rt` are passed apart from the event: a
   * return may lack them (no copy of the event). `entryLine`: the line of the lookup's entry.
   */
  result(e: CanonicalEvent, daddr: string | undefined, create: 0 | 1, peer: string | undefined, rt: string | undefined, entryLine?: number): void {
    if (daddr === undefined || peer === undefined) return;
    this.observed = true;
    const known = this.peerOf.get(daddr);
    const k = eventKey(e);
    if (create === 0 && !isNull(peer) && known !== undefined) {
      if (known === peer) this.rec.pass('lookup-only-never-creates-peer');
      else if (isNull(known) && this.gone.get(daddr) === peer) {
        // This peer was seen before a lookup on another CPU/task printed "none": that lookup ran
        // before the peer was linked and returned after it (its return printed late).
        this.rec.unchecked('lookup-only-never-creates-peer', 'a concurrent lookup printed "none" after the peer existed');
      } else if (this.suspects.length < MAX_SUSPECTS) {
        // The creator (a create=1 lookup on another CPU/task) may link the peer before its own
        // return prints: decided when that return shows, or at the end of the trace.
        const h = rt ? this.routes.get(rt)?.hist : undefined;
        this.suspects.push({ e: own(e), daddr, peer, known, ctx: k, rt, hist: h && snapshotRing(h, this.historySize) });
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
    if (e.kind === 'peer_new' || site === 'path') this.genid.ownLookup(k, daddr, isNull(peer) ? 'null' : 'peer');
    if (isNull(peer)) {
      if (create === 0) this.peerOf.set(daddr, NULL);
    } else this.peerOf.set(daddr, peer);
    // The PMTU/redirect paths' own lookups and route creation bind no existing route, but the
    // S4/S5 redirect walk binds the peerless routes it redirects; any other bind whose route is
    // not known may bind one.
    if ((e.kind === 'bind' || e.kind === 'bind_ret') && !rt && site !== 'creation') {
      if (site !== 'path') this.routes.mayBeStampedFor(daddr, k);
      else if (pathLookupMayBindRoute(this.era, this.stage, e.caller)) this.routes.mayBeStampedFor(daddr, k, true);
    }
  }

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

  private resolveSuspects(lost = false): void {
    for (const x of this.suspects) {
      if (lost) this.rec.unchecked('lookup-only-never-creates-peer', 'its creator may be in lost events');
      else this.failCreated(x.e, x.daddr, x.known, x.peer, x.rt, x.hist);
    }
    this.suspects = [];
  }
}

/**
 * Who made a lookup, from a kretprobe's caller: a PMTU/redirect path's own lookup, route creation
 * (rt_init_metrics inlined in rt_set_nexthop), or anything else (an inlined rt_bind_peer on a
 * route). Memoised: callers are few distinct strings.
 */
const SITES = new Map<string, Site>();
function callerSite(caller: string | undefined): Site | undefined {
  if (caller === undefined) return undefined;
  let s = SITES.get(caller);
  if (s === undefined) {
    s = /frag_needed|ip_rt_redirect|update_pmtu/.test(caller) ? 'path' : /rt_set_nexthop|rt_init_metrics/.test(caller) ? 'creation' : 'other';
    if (SITES.size < 4096) SITES.set(caller, s);
  }
  return s;
}
