/**
 * What the cache-era PMTU and redirect paths must DO, judged where the trace shows it (the genid
 * bookkeeping is cache-era.ts's job; it calls the hooks here):
 * - a check that runs check_peer_pmtu leaves the route's MTU as check_peer_pmtu's rules say
 *   (unexpired learned value below the route's MTU -> applied; expired -> pmtu_orig restored by
 *   the cmpxchg winner; nothing learned -> unchanged);
 * - a check that finds a learned redirect other than the route's gateway switches the gateway and
 *   sets RTCF_REDIRECTED (S2/S3: or fails with -EAGAIN: NULL);
 * - after a PMTU path learned for a destination, its peer holds a learned value no larger than
 *   the path's (floor and plateau rules applied) and a non-zero expiry;
 * - a peer created in the trace starts blank (pmtu_expires 0, pmtu_orig 0, redirect_learned 0);
 * - seed commit alone: PMTU still lives in the route's metrics; a route's MTU never rises while
 *   the genid machinery runs (nothing restores it there).
 * A judgement the trace cannot support is counted as unchecked with the missing field named.
 * O(1) per event; the maps are bounded.
 */
import type { Era, Stage } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';
import type { Recorder, Ring } from './coverage.ts';
import { SeedMtuJudge } from './seed-mtu.ts';
import { UpdatePmtuJudge } from './update-pmtu.ts';
import {
  RTCF_REDIRECTED, expectedPmtuAction, fragNeededBound, isNullPtr, noGateway, rawMtuMetric, routeMtu, updatePmtuBound, type Known,
} from './pmtu-state.ts';

/** Past this many entries a knowledge map is cleared (knowledge lost = judgements not made, never wrong ones). */
const MAX_ENTRIES = 1 << 15;

interface OpenCheck {
  entry: CanonicalEvent;
  rt: string;
  peer?: string;
  /** The check_peer_pmtu this check ran (same context, same route). */
  pp?: CanonicalEvent;
  /** Another context touched the route or its peer during the check: the outcome is not this check's alone. */
  contended?: string;
  /** The route's MTU read by a companion probe at the check's entry. */
  mtuAtEntry?: CanonicalEvent;
  /** Seed: some probe showed the route's MTU during this check. */
  sawMtu?: boolean;
}

interface PeerKnowledge {
  daddr?: string;
  /** Created in the trace (a create=1 lookup gave a pointer never seen, after a lookup showed none for its destination). */
  fresh: boolean;
  /** Since creation: a PMTU path / a redirect path for its destination, a check_peer_pmtu that may have saved pmtu_orig. */
  pmtuPath: boolean;
  redirectPath: boolean;
  applied: boolean;
  /** The last PMTU path's bound on pmtu_learned, and where it came from. */
  bound?: { value: number; line: number; file: string };
  /** A learning path whose learning is certain (est_mtu returned): pmtu_expires must be non-zero at the next sight. */
  mustBeValid?: { line: number; file: string };
  /** The raw metric a check saved into pmtu_orig (the peer's orig was 0 and the learned PMTU applied). */
  origWant?: { value: number; line: number; file: string };
  /** The count of blind paths (no destination, no peer) when the peer was created. */
  blindAt?: number;
}

export class OutcomeJudge {
  private readonly open = new Map<number, OpenCheck | undefined>();
  private openCount = 0;
  private readonly peers = new Map<string, PeerKnowledge>();
  /** Destinations a lookup showed without a peer. */
  private readonly none = new Set<string>();
  /** PMTU/redirect paths in progress per context, waiting for their own lookup (the model renders it after the path event). */
  private readonly pathWaiting = new Map<number, { e: CanonicalEvent; kind: 'frag' | 'update' | 'redirect' } | undefined>();
  /** The last path lookup per context, waiting for its path event (ftrace maps emit the path at its return). */
  private readonly lookupWaiting = new Map<number, { daddr: string; peer: string } | undefined>();
  /** Seed commit alone: the MTU last seen per route. */
  /** Fresh peers by destination (for the paths that name only a destination). */
  private readonly freshOf = new Map<string, PeerKnowledge>();
  /** PMTU/redirect paths that named neither a destination nor a peer. */
  private blindPaths = 0;
  /** ip_rt_min_pmtu as last seen on a PMTU path. */
  /** Seed commit alone: the route's MTU across its checks. */
  private readonly seed: SeedMtuJudge;
  /** 2.6.39+: update_pmtu runs check_peer_pmtu. */
  private readonly updates: UpdatePmtuJudge;

  constructor(
    private readonly era: Era,
    private readonly stage: Stage,
    private readonly rec: Recorder,
    /** The route's history ring, for divergence reports (cache-era owns it). */
    private readonly historyOf: (rt: string | undefined) => Ring | undefined,
  ) {
    this.seed = new SeedMtuJudge(rec, historyOf);
    this.updates = new UpdatePmtuJudge(rec, historyOf);
  }

  gap(): void {
    for (const c of this.open.values()) if (c) this.uncheckedOutcome(c, 'check interrupted by lost events');
    this.open.clear();
    this.openCount = 0;
    this.peers.clear();
    this.none.clear();
    this.pathWaiting.clear();
    this.lookupWaiting.clear();
    this.seed.clear();
    this.updates.gap();
    this.freshOf.clear();
    this.besideNext.clear();
  }

  finish(): void {
    this.updates.finish();
    for (const c of this.open.values()) if (c) this.uncheckedOutcome(c, 'check without a return at the end of the trace');
  }

  /** Every event of the trace, in order, with its call context (cache-era.ts's key). */
  handle(e: CanonicalEvent, ctx: number): void {
    this.observe(e, ctx);
    if (this.era === 'pmtu-redirect') this.updates.handle(e, ctx);
    if (this.besideNext.size > 0 && e.kind !== 'route_mtu' && e.kind !== 'check') this.besideNext.delete(ctx);
    switch (e.kind) {
      case 'check':
        return this.onCheck(e, ctx);
      case 'check_ret':
        return this.onCheckRet(e, ctx);
      case 'bind':
        if (e.rt === undefined) {
          if (this.bindEntry.size >= MAX_ENTRIES) this.bindEntry.clear();
          this.bindEntry.set(ctx, e);
        }
        return;
      case 'bind_ret': {
        const entry = this.bindEntry.get(ctx);
        if (entry) this.bindEntry.set(ctx, undefined);
        if (e.peer === undefined) return;
        const inCheck = this.open.get(ctx);
        if (inCheck && (e.rt === undefined || e.rt === inCheck.rt) && (e.caller === undefined || e.caller.startsWith('ipv4_dst_check'))) this.onCheckBind(ctx, e.peer);
        // Only pure lookups (no route: inet_getpeer's own return) say what exists: an out-of-line
        // rt_bind_peer reports the route's peer after, which may be an older one (a lost cmpxchg).
        if (e.rt !== undefined && e.peerBefore !== undefined && !isNullPtr(e.peerBefore)) return;
        const create = (e.create ?? entry?.create) as 0 | 1 | undefined;
        return this.onLookup(e.daddr ?? entry?.daddr, create, e.peer, ctx, isPathCaller(e.caller), e.rt === undefined);
      }
      case 'peer_new':
        return this.onLookup(e.daddr, e.create === 0 ? 0 : 1, e.peer, ctx, true, true);
      case 'pmtu':
        return this.onPath(e, e.rt !== undefined ? 'update' : 'frag', ctx);
      case 'redirect':
        return this.onPath(e, 'redirect', ctx);
      case 'peer_pmtu':
        this.historyOf(e.rt)?.push(e);
        return this.onPeerPmtu(e, ctx);
      case 'route_mtu': {
        // Read beside the check's entry (before or after its line: kprobes at one address fire
        // in no promised order): the route's MTU before check_peer_pmtu.
        const known = this.era === 'seed' ? this.seed.observe(e) : false;
        const c = this.open.get(ctx);
        if (c && c.rt === e.rt && !c.pp && !c.mtuAtEntry) {
          c.mtuAtEntry = e;
          if (known) c.sawMtu = true;
        } else {
          if (this.besideNext.size >= MAX_ENTRIES) this.besideNext.clear();
          this.besideNext.set(ctx, { e, known });
        }
        return;
      }
      case 'route_free':
        return this.onFree(e.rt);
      default:
        return;
    }
  }

  /** A companion route_mtu read just before a check's entry line, per context. */
  private readonly besideNext = new Map<number, { e: CanonicalEvent; known: boolean }>();

  /** Lookup entries without a route, per context: their return may lack daddr/create. */
  private readonly bindEntry = new Map<number, CanonicalEvent | undefined>();

  /** Every event, before its own handling: marks the open checks another context interferes with. */
  private observe(e: CanonicalEvent, ctx: number): void {
    if (this.openCount === 0) return;
    if (e.rt === undefined && e.peer === undefined && e.kind !== 'redirect' && e.kind !== 'pmtu') return;
    for (const [k, c] of this.open) {
      if (!c || k === ctx || c.contended) continue;
      if ((e.rt !== undefined && e.rt === c.rt) || (e.peer !== undefined && c.peer !== undefined && e.peer === c.peer && !isNullPtr(e.peer))) {
        c.contended = `another context (${e.probe ?? e.kind} at line ${e.line}) worked on the route or its peer during the check`;
      } else if (e.kind === 'redirect' || e.kind === 'pmtu') {
        c.contended = `a ${e.kind} path on another context (line ${e.line}) ran during the check`;
      }
    }
  }

  // ------------------------------------------------------------------ checks

  private onCheck(e: CanonicalEvent, ctx: number): void {
    if (!e.rt) return;
    const prev = this.open.get(ctx);
    if (prev) this.uncheckedOutcome(prev, 'check entry without a return (nested or lost)');
    else this.openCount++;
    if (this.open.size >= MAX_ENTRIES) for (const [k, v] of this.open) if (v === undefined) this.open.delete(k);
    const c: OpenCheck = { entry: e, rt: e.rt, peer: e.peer && !isNullPtr(e.peer) ? e.peer : undefined };
    this.open.set(ctx, c);
    const beside = this.besideNext.get(ctx);
    if (beside) {
      this.besideNext.delete(ctx);
      if (beside.e.rt === e.rt) {
        c.mtuAtEntry = beside.e;
        c.sawMtu = beside.known;
      }
    }
    if (this.era === 'seed' && hasMtu(e)) c.sawMtu = this.seed.observe(e);
  }

  /** A lookup inside the check bound a peer: the check's peer from now on. */
  private onCheckBind(ctx: number, peer: string | undefined): void {
    const c = this.open.get(ctx);
    if (c && peer && !isNullPtr(peer)) c.peer = peer;
  }

  private onCheckRet(e: CanonicalEvent, ctx: number): void {
    const c = this.open.get(ctx);
    if (!c || (e.rt && e.rt !== c.rt)) return;
    this.open.set(ctx, undefined);
    this.openCount--;
    if (e.ret === undefined) return;
    const valid = !isNullPtr(e.ret);
    if (this.era === 'seed') {
      if (valid && hasMtu(e) && this.seed.observe({ ...e, rt: c.rt })) c.sawMtu = true;
      // (A companion read or an entry that showed an undecodable MTU was counted where it came.)
      if (!c.sawMtu && !c.mtuAtEntry && !hasMtu(c.entry) && !hasMtu(e)) this.rec.unchecked('route-mtu-only-lowers', 'the route\'s MTU not observed at the check (rtMtu / dst->_metrics)');
      return;
    }
    if (this.era !== 'pmtu-redirect') return;
    if (!c.pp) {
      // No check_peer_pmtu seen: the genid was current, or there is no peer, or the probe is
      // missing / the call inlined. Nothing to judge about the outcome.
      return;
    }
    if (c.contended) return this.uncheckedOutcome(c, c.contended);
    if (!valid) {
      // S2/S3 fail on an unresolved redirect (-EAGAIN); fields read through NULL are meaningless.
      this.rec.unchecked('check-applies-learned-pmtu', 'the check returned NULL: the route\'s MTU after it not observed');
      this.judgeRedirect(c, e, false);
      return;
    }
    this.judgePmtu(c, e);
    this.judgeRedirect(c, e, true);
  }

  private uncheckedOutcome(c: OpenCheck, reason: string): void {
    if (!c.pp) return;
    this.rec.unchecked('check-applies-learned-pmtu', reason);
    if (!noGateway(c.pp.redirectLearned)) this.rec.unchecked('check-applies-learned-redirect', reason);
  }

  private judgePmtu(c: OpenCheck, ret: CanonicalEvent): void {
    const pp = c.pp!;
    let mtu0 = routeMtu(c.entry);
    if ('unknown' in mtu0 && c.mtuAtEntry) mtu0 = routeMtu(c.mtuAtEntry);
    const act = expectedPmtuAction(pp, mtu0, c.entry.devMtu ?? ret.devMtu);
    if (act.kind === 'unknown') return this.rec.unchecked('check-applies-learned-pmtu', act.why);
    const mtu1 = routeMtu(ret);
    if ('unknown' in mtu1) return this.rec.unchecked('check-applies-learned-pmtu', `after the check: ${mtu1.unknown}`);
    const hist = this.historyOf(c.rt);
    const inv = 'check-applies-learned-pmtu';
    switch (act.kind) {
      case 'atMost':
        if (mtu1.value <= act.mtu) this.rec.pass(inv);
        else {
          this.rec.fail(inv, ret, `route MTU <= ${act.mtu} (the peer's unexpired learned PMTU)`, `route MTU ${mtu1.value}`,
            `check of route ${c.rt} ran check_peer_pmtu with learned PMTU ${act.mtu} (expires ${pp.pmtuExpires}, jiffies ${pp.now}) but left the route at ${mtu1.value}`, hist, c.rt);
        }
        return;
      case 'apply':
        if (mtu1.value === act.mtu) this.rec.pass(inv);
        else {
          this.rec.fail(inv, ret, `route MTU ${act.mtu} (the peer's unexpired learned PMTU, below the route's ${(mtu0 as { value: number }).value})`, `route MTU ${mtu1.value}`,
            `check of route ${c.rt} ran check_peer_pmtu with learned PMTU ${act.mtu} (expires ${pp.pmtuExpires}, jiffies ${pp.now}) but left the route at ${mtu1.value}`, hist, c.rt);
        }
        if (act.saveOrig) this.expectOrigSaved(pp, c.entry);
        return;
      case 'none':
      case 'keep': {
        if ('unknown' in mtu0) return this.rec.unchecked(inv, mtu0.unknown);
        if (mtu1.value === mtu0.value) this.rec.pass(inv);
        else this.rec.fail(inv, ret, `route MTU ${mtu0.value} (${act.why})`, `route MTU ${mtu1.value}`, `check of route ${c.rt} changed its MTU although check_peer_pmtu had nothing to apply (${act.why})`, hist, c.rt);
        return;
      }
      case 'expire': {
        // The cmpxchg winner restores pmtu_orig; a loser (another CPU, an interrupt's negative
        // advice) leaves the route as it was.
        if ('unknown' in mtu0) {
          if ('value' in act.restore && mtu1.value === act.restore.value) return this.rec.pass(inv);
          return this.rec.unchecked(inv, `expired learned PMTU: ${mtu0.unknown}`);
        }
        if (mtu1.value === mtu0.value) {
          if ('value' in act.restore && act.restore.value === mtu0.value) this.rec.pass(inv);
          else this.rec.unchecked(inv, 'expired learned PMTU not restored: another context may have won the expiry');
          return;
        }
        if ('unknown' in act.restore) return this.rec.unchecked(inv, act.restore.unknown);
        if (mtu1.value === act.restore.value) this.rec.pass(inv);
        else this.rec.fail(inv, ret, `route MTU ${act.restore.value} (pmtu_orig restored) or ${mtu0.value} (expiry lost to another context)`, `route MTU ${mtu1.value}`,
          `check of route ${c.rt} found the learned PMTU expired (expires ${pp.pmtuExpires}, jiffies ${pp.now}) and set its MTU to ${mtu1.value}`, hist, c.rt);
        return;
      }
    }
  }

  /** pmtu_orig 0 and the learned PMTU applied: the peer must hold the route's raw metric from now on. */
  private expectOrigSaved(pp: CanonicalEvent, entry: CanonicalEvent): void {
    const raw = rawMtuMetric(entry);
    const k = pp.peer && this.peerRec(pp.peer);
    if (!k) return;
    k.applied = true;
    if ('value' in raw) k.origWant = { value: raw.value, line: pp.line, file: pp.file };
  }

  private judgeRedirect(c: OpenCheck, ret: CanonicalEvent, valid: boolean): void {
    const inv = 'check-applies-learned-redirect';
    const learned = c.pp!.redirectLearned;
    if (learned === undefined) return this.rec.unchecked(inv, 'redirect_learned not observed at check_peer_pmtu');
    const gw0 = c.entry.rtGateway;
    if (gw0 === undefined) return this.rec.unchecked(inv, 'the route\'s gateway at check entry not observed');
    const pending = !noGateway(learned) && learned !== gw0;
    if (this.stage === 'S4') {
      // 3.2 first forgets a redirect learned before the last flush (redirect_genid, not probed).
      if (pending) return this.rec.unchecked(inv, 'S4: redirect_genid (not observed) may have dropped the learned redirect');
    }
    const hist = this.historyOf(c.rt);
    if (!valid) {
      if (pending && (this.stage === 'S2' || this.stage === 'S3')) this.rec.pass(inv); // -EAGAIN: neighbour not resolved yet
      else if (pending) this.rec.unchecked(inv, 'the check returned NULL');
      return;
    }
    const gw1 = ret.rtGateway;
    if (gw1 === undefined) return this.rec.unchecked(inv, 'the route\'s gateway after the check not observed');
    if (!pending) {
      if (gw1 === gw0) this.rec.pass(inv);
      else this.rec.fail(inv, ret, `gateway ${gw0} (no other redirect learned)`, `gateway ${gw1}`, `check of route ${c.rt} changed its gateway with no learned redirect to apply`, hist, c.rt);
      return;
    }
    if (gw1 !== learned) {
      this.rec.fail(inv, ret, `gateway ${learned} (the peer's learned redirect)${this.stage === 'S5' ? '' : ', or NULL while its neighbour resolves'}`, `gateway ${gw1}`,
        `check of route ${c.rt} kept gateway ${gw1} although its peer learned a redirect to ${learned}`, hist, c.rt);
      return;
    }
    // S2/S3: a valid return after switching means the neighbour was valid: the flag is set.
    if ((this.stage === 'S2' || this.stage === 'S3') && ret.flags !== undefined && (ret.flags & RTCF_REDIRECTED) === 0) {
      this.rec.fail(inv, ret, `gateway ${learned} with RTCF_REDIRECTED`, `flags ${ret.flags.toString(16)}`, `check of route ${c.rt} switched to the learned gateway without RTCF_REDIRECTED`, hist, c.rt);
      return;
    }
    this.rec.pass(inv);
  }

  // ------------------------------------------------------------------ peers

  private peerRec(peer: string): PeerKnowledge {
    let k = this.peers.get(peer);
    if (!k) {
      if (this.peers.size >= MAX_ENTRIES) this.peers.clear();
      k = { fresh: false, pmtuPath: false, redirectPath: false, applied: false };
      this.peers.set(peer, k);
    }
    return k;
  }

  /** A peer lookup returned: learn which peers are new, and attach a path's own lookup to its path. */
  private onLookup(daddr: string | undefined, create: 0 | 1 | undefined, peer: string | undefined, ctx: number, pathLookup: boolean, pure: boolean): void {
    if (daddr === undefined || peer === undefined) return;
    if (isNullPtr(peer)) {
      if (create === 0) {
        if (this.none.size >= MAX_ENTRIES) this.none.clear();
        this.none.add(daddr);
      }
    } else {
      const known = this.peers.get(peer);
      if (!known) {
        const k = this.peerRec(peer);
        k.daddr = daddr;
        // Fresh only if a lookup showed none for this destination and nothing since showed this pointer.
        k.fresh = pure && create === 1 && this.none.has(daddr);
        if (k.fresh) {
          k.blindAt = this.blindPaths;
          if (this.freshOf.size >= MAX_ENTRIES) this.freshOf.clear();
          this.freshOf.set(daddr, k);
        }
      } else if (known.daddr !== undefined && known.daddr !== daddr) {
        // The pointer was freed and reused for another destination: a new peer we know nothing of.
        this.peers.set(peer, { daddr, fresh: false, pmtuPath: false, redirectPath: false, applied: false });
      } else known.daddr = daddr;
      this.none.delete(daddr);
    }
    if (!pathLookup || isNullPtr(peer)) return;
    const w = this.pathWaiting.get(ctx);
    if (w && (w.e.daddr === undefined || w.e.daddr === daddr)) {
      this.pathWaiting.set(ctx, undefined);
      this.pathLearned(w.e, w.kind, peer);
    } else {
      if (this.lookupWaiting.size >= MAX_ENTRIES) this.lookupWaiting.clear();
      this.lookupWaiting.set(ctx, { daddr, peer });
    }
  }

  /** A PMTU/redirect path: its peer is the one its own lookup returned (before or after this event). */
  private onPath(e: CanonicalEvent, kind: 'frag' | 'update' | 'redirect', ctx: number): void {
    if (kind !== 'redirect') this.seed.pmtuPath(e.minPmtu);
    // What a fresh peer may have learned: by destination (3.2+ redirects apply to routes' peers
    // with no lookup of their own), else by the route's peer; a path naming neither may have
    // written any peer.
    const f = e.daddr !== undefined ? this.freshOf.get(e.daddr) : e.peer !== undefined && !isNullPtr(e.peer) ? this.peers.get(e.peer) : undefined;
    if (f) {
      if (kind === 'redirect') f.redirectPath = true;
      else f.pmtuPath = true;
    } else if (e.daddr === undefined && (e.peer === undefined || isNullPtr(e.peer))) this.blindPaths++;
    if (kind === 'update') {
      // update_pmtu: the route's peer (bound create=1 inside if it had none).
      if (e.peer && !isNullPtr(e.peer)) return this.pathLearned(e, kind, e.peer);
    }
    const l = this.lookupWaiting.get(ctx);
    if (l && (e.daddr === undefined || l.daddr === e.daddr)) {
      this.lookupWaiting.set(ctx, undefined);
      return this.pathLearned(e, kind, l.peer);
    }
    if (this.pathWaiting.size >= MAX_ENTRIES) this.pathWaiting.clear();
    this.pathWaiting.set(ctx, { e, kind });
  }

  private pathLearned(e: CanonicalEvent, kind: 'frag' | 'update' | 'redirect', peer: string): void {
    const k = this.peerRec(peer);
    if (kind === 'redirect') {
      k.redirectPath = true;
      return;
    }
    k.pmtuPath = true;
    if (this.era !== 'pmtu-redirect') return;
    const b: Known<number> = kind === 'frag' ? fragNeededBound(e) : updatePmtuBound(e);
    if ('value' in b) k.bound = { value: b.value, line: e.line, file: e.file };
    else {
      k.bound = undefined;
      this.rec.unchecked('peer-holds-learned-pmtu', b.unknown);
    }
    // ip_rt_frag_needed returning something else than the announced MTU learned for sure.
    if (kind === 'frag' && e.mtu !== undefined && e.icmpMtu !== undefined && e.mtu !== e.icmpMtu) k.mustBeValid = { line: e.line, file: e.file };
    else k.mustBeValid = undefined;
  }

  /** check_peer_pmtu entry: the peer's state as a check, route creation or update_pmtu applies it. */
  private onPeerPmtu(e: CanonicalEvent, ctx: number): void {
    const c = this.open.get(ctx);
    if (c && (e.rt === undefined || e.rt === c.rt)) {
      c.pp = e;
      if (e.peer && !isNullPtr(e.peer)) c.peer = e.peer;
    }
    if (!e.peer || isNullPtr(e.peer)) return;
    const k = this.peerRec(e.peer);
    if (k.fresh) this.judgeFresh(e, k);
    if (e.pmtuExpires !== undefined && e.pmtuExpires !== 0) {
      if (k.mustBeValid) this.rec.pass('learned-pmtu-marked-valid');
      if (k.bound && e.pmtuLearned !== undefined) {
        if (e.pmtuLearned <= k.bound.value) this.rec.pass('peer-holds-learned-pmtu');
        else {
          this.rec.fail('peer-holds-learned-pmtu', e, `pmtu_learned <= ${k.bound.value} (learned at ${k.bound.file}:${k.bound.line})`, `pmtu_learned ${e.pmtuLearned}`,
            `peer ${e.peer} holds a learned PMTU above what the PMTU path at line ${k.bound.line} left`, this.historyOf(e.rt), e.rt);
        }
        k.bound = undefined;
      }
      if (k.origWant && e.pmtuOrig !== undefined) {
        // Saved once per peer: from then on pmtu_orig holds that route's raw metric (0 stays a "not saved" 0).
        if (e.pmtuOrig === k.origWant.value) this.rec.pass('check-saves-pmtu-orig');
        else this.rec.fail('check-saves-pmtu-orig', e, `pmtu_orig ${k.origWant.value} (saved by the check at ${k.origWant.file}:${k.origWant.line})`, `pmtu_orig ${e.pmtuOrig}`,
          `peer ${e.peer} lost the pmtu_orig the check at line ${k.origWant.line} saved`, this.historyOf(e.rt), e.rt);
        k.origWant = undefined;
      }
    } else if (e.pmtuExpires === 0) {
      if (k.mustBeValid) this.rec.unchecked('learned-pmtu-marked-valid', 'pmtu_expires 0 after learning: expired, or cleared by a link failure / negative advice the probes do not show');
      // The learned value is no longer valid: the bound and the saved original no longer bind.
      k.bound = undefined;
      k.origWant = undefined;
    }
    k.mustBeValid = undefined;
    if (e.pmtuExpires !== 0) k.applied = true; // pmtu_orig may be saved from now on
  }

  private judgeFresh(e: CanonicalEvent, k: PeerKnowledge): void {
    const inv = 'new-peer-is-blank';
    k.fresh = false;
    if (k.daddr !== undefined && this.freshOf.get(k.daddr) === k) this.freshOf.delete(k.daddr);
    if (k.blindAt !== this.blindPaths) return this.rec.unchecked(inv, 'a PMTU/redirect path naming no destination ran since the peer was created');
    const bad: string[] = [];
    if (!k.pmtuPath) {
      if (e.pmtuExpires !== undefined && e.pmtuExpires !== 0) bad.push(`pmtu_expires ${e.pmtuExpires}`);
    }
    if (!k.applied && e.pmtuOrig !== undefined && e.pmtuOrig !== 0) bad.push(`pmtu_orig ${e.pmtuOrig}`);
    if (!k.redirectPath && e.redirectLearned !== undefined && !noGateway(e.redirectLearned)) bad.push(`redirect_learned ${e.redirectLearned}`);
    if (e.pmtuExpires === undefined && e.pmtuOrig === undefined && e.redirectLearned === undefined) {
      this.rec.unchecked(inv, 'the peer\'s fields not observed');
    } else if (bad.length) {
      this.rec.fail(inv, e, 'pmtu_expires 0, pmtu_orig 0, redirect_learned 0 (nothing learned since the peer was created)', bad.join(', '),
        `peer ${e.peer} for ${k.daddr ?? '?'} was created in the trace yet holds ${bad.join(', ')}`, this.historyOf(e.rt), e.rt);
    } else this.rec.pass(inv);
  }

  /** A route destroyed: its pointer may come back as another route. */
  private onFree(rt: string | undefined): void {
    this.seed.free(rt);
  }
}

/** A lookup made by a PMTU/redirect path itself (its kretprobe's caller). */
function isPathCaller(caller: string | undefined): boolean {
  return caller !== undefined && /frag_needed|ip_rt_redirect|update_pmtu/.test(caller);
}

/** The event carries some reading of the route's MTU. */
function hasMtu(e: CanonicalEvent): boolean {
  return e.rtMtu !== undefined || e.metrics !== undefined;
}
