/**
 * What the cache-era PMTU and redirect paths must DO, judged where the trace shows it (the genid
 * bookkeeping is cache-era.ts's job; it calls the hooks here):
 * - a check that runs check_peer_pmtu leaves the route's MTU as check_peer_pmtu's rules say
 *   (unexpired learned value below the route's MTU -> applied; expired -> pmtu_orig restored by
 *   the cmpxchg winner; nothing learned -> unchanged);
 * - a check that finds a learned redirect other than the route's gateway switches the gateway and
 *   sets RTCF_REDIRECTED (S2/S3: or fails with -EAGAIN: NULL);
 * - the peers' state (learned PMTU bounds, saved pmtu_orig, fresh peers): peer-state.ts;
 * - update_pmtu runs check_peer_pmtu: update-pmtu.ts;
 * - seed commit alone, the route's MTU across its checks: seed-mtu.ts.
 * A judgement the trace cannot support is counted as unchecked with the missing field named.
 * O(1) per event; the maps are bounded.
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';
import type { Recorder, Ring } from './coverage.ts';
import { PeerJudge, type PathKind } from './peer-state.ts';
import { SeedMtuJudge } from './seed-mtu.ts';
import { REDIRECT_NEIGH_FAILED, STAGE_DECIDES, isCheckLookupCaller, redirectMayBeUndone, type ReplayStage } from './stage-rules.ts';
import { UpdatePmtuJudge } from './update-pmtu.ts';
import { own } from '../trace/columns/cursor.ts';
import {
  RTCF_REDIRECTED, expectedPmtuAction, isNullPtr, noGateway, rawMtuMetric, routeMtu,
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


export class OutcomeJudge {
  private readonly open = new Map<number, OpenCheck | undefined>();
  private openCount = 0;
  /** What the peers hold (learned PMTU bounds, fresh peers). */
  private readonly peers: PeerJudge;
  /** Seed commit alone: the route's MTU across its checks. */
  private readonly seed: SeedMtuJudge;
  /** 2.6.39+: update_pmtu runs check_peer_pmtu. */
  private readonly updates: UpdatePmtuJudge;

  constructor(
    private readonly era: Era,
    private readonly stage: ReplayStage,
    private readonly rec: Recorder,
    /** The route's history ring, for divergence reports (cache-era owns it). */
    private readonly historyOf: (rt: string | undefined) => Ring | undefined,
  ) {
    this.seed = new SeedMtuJudge(rec, historyOf);
    this.peers = new PeerJudge(era, rec, historyOf);
    this.updates = new UpdatePmtuJudge(rec, historyOf);
  }

  gap(): void {
    for (const c of this.open.values()) if (c) this.uncheckedOutcome(c, 'check interrupted by lost events');
    this.open.clear();
    this.redirectsOpen.clear();
    this.openCount = 0;
    this.peers.clear();
    this.seed.clear();
    this.updates.gap();
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
          this.bindEntry.set(ctx, own(e));
        }
        return;
      case 'bind_ret': {
        const entry = this.bindEntry.get(ctx);
        if (entry) this.bindEntry.set(ctx, undefined);
        if (e.peer === undefined) return;
        const inCheck = this.open.get(ctx);
        if (inCheck && (e.rt === undefined || e.rt === inCheck.rt) && (e.caller === undefined || isCheckLookupCaller(e.caller))) this.onCheckBind(ctx, e.peer);
        // Only pure lookups (no route: inet_getpeer's own return) say what exists: an out-of-line
        // rt_bind_peer reports the route's peer after, which may be an older one (a lost cmpxchg).
        if (e.rt !== undefined && e.peerBefore !== undefined && !isNullPtr(e.peerBefore)) return;
        const create = (e.create ?? entry?.create) as 0 | 1 | undefined;
        // (A PMTU/redirect path's own lookup: its caller names one of them.)
        const path = pathKindOf(e.caller);
        return this.peers.onLookup(e.daddr ?? entry?.daddr, create, e.peer, ctx, path !== undefined, e.rt === undefined, path);
      }
      case 'peer_new':
        return this.peers.onLookup(e.daddr, e.create === 0 ? 0 : 1, e.peer, ctx, true, true);
      case 'pmtu':
        this.seed.pmtuPath(e.minPmtu);
        return this.peers.onPath(e, e.rt !== undefined ? 'update' : 'frag', ctx);
      case 'redirect':
        return this.peers.onPath(e, 'redirect', ctx);
      case 'peer_pmtu':
        this.historyOf(e.rt)?.push(e);
        return this.onPeerPmtu(e, ctx);
      case 'route_mtu': {
        // Read beside the check's entry (before or after its line: kprobes at one address fire
        // in no promised order): the route's MTU before check_peer_pmtu.
        const known = this.era === 'seed' ? this.seed.observe(e) : false;
        const c = this.open.get(ctx);
        if (c && c.rt === e.rt && !c.pp && !c.mtuAtEntry) {
          c.mtuAtEntry = own(e);
          if (known) c.sawMtu = true;
        } else {
          if (this.besideNext.size >= MAX_ENTRIES) this.besideNext.clear();
          this.besideNext.set(ctx, { e: own(e), known });
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

  /**
   * Redirects in progress, by context (entry seen, return not yet): they write the peer's learned
   * redirect (S4/S5: and switch the routes they walk, unprobed) at moments no probe shows, so a
   * check that starts while one runs elsewhere may see it between its check_peer_pmtu and its
   * check_peer_redir. Open until the context shows anything but the path's own lookups.
   */
  private readonly redirectsOpen = new Set<number>();

  /** Every event, before its own handling: marks the open checks another context interferes with. */
  private observe(e: CanonicalEvent, ctx: number): void {
    if (this.redirectsOpen.size > 0 && !((e.kind === 'bind' || e.kind === 'bind_ret') && e.rt === undefined)) this.redirectsOpen.delete(ctx);
    if (e.kind === 'redirect') {
      if (this.redirectsOpen.size >= MAX_ENTRIES) this.redirectsOpen.clear();
      this.redirectsOpen.add(ctx);
    }
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
    const c: OpenCheck = { entry: own(e), rt: e.rt, peer: e.peer && !isNullPtr(e.peer) ? e.peer : undefined };
    for (const k of this.redirectsOpen) if (k !== ctx) c.contended = `a redirect on another context (still in progress at line ${e.line}) may write the peer or the route during the check`;
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
    if (pp.peer) this.peers.origSaved(pp, rawMtuMetric(entry));
  }

  /** check_peer_pmtu entry: inside an open check of that route, the check ran it. */
  private onPeerPmtu(e: CanonicalEvent, ctx: number): void {
    const c = this.open.get(ctx);
    if (c && (e.rt === undefined || e.rt === c.rt)) {
      c.pp = own(e);
      if (e.peer && !isNullPtr(e.peer)) c.peer = e.peer;
    }
    this.peers.onPeerPmtu(e);
  }

  private judgeRedirect(c: OpenCheck, ret: CanonicalEvent, valid: boolean): void {
    const inv = 'check-applies-learned-redirect';
    const learned = c.pp!.redirectLearned;
    if (learned === undefined) return this.rec.unchecked(inv, 'redirect_learned not observed at check_peer_pmtu');
    const gw0 = c.entry.rtGateway;
    if (gw0 === undefined) return this.rec.unchecked(inv, 'the route\'s gateway at check entry not observed');
    const pending = !noGateway(learned) && learned !== gw0;
    if (this.stage === 'S4' || this.stage === 'unknown') {
      // 3.2 first forgets a redirect learned before the last flush (redirect_genid, not probed).
      if (pending) return this.rec.unchecked(inv, this.stage === 'S4' ? 'S4: redirect_genid (not observed) may have dropped the learned redirect' : `${STAGE_DECIDES}: in S4 redirect_genid (not observed) may have dropped the learned redirect`);
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
    if (gw1 !== learned && gw1 === gw0 && redirectMayBeUndone(this.era, this.stage)) return this.rec.unchecked(inv, REDIRECT_NEIGH_FAILED);
    if (gw1 !== learned) {
      this.rec.fail(inv, ret, `gateway ${learned} (the peer's learned redirect)${this.stage === 'S5' ? '' : ', or NULL while its neighbour resolves'}`, `gateway ${gw1}`,
        `check of route ${c.rt} kept gateway ${gw1} although its peer learned a redirect to ${learned}`, hist, c.rt);
      return;
    }
    // S2/S3: a valid return after switching means the neighbour was valid: the flag is set.
    if (this.stage === 'unknown' && ret.flags !== undefined && (ret.flags & RTCF_REDIRECTED) === 0) {
      // S2/S3 set the flag when they switch; S4/S5 do not say.
      return this.rec.unchecked(inv, `${STAGE_DECIDES}: S2/S3 set RTCF_REDIRECTED when they switch, S4/S5 need not`);
    }
    if ((this.stage === 'S2' || this.stage === 'S3') && ret.flags !== undefined && (ret.flags & RTCF_REDIRECTED) === 0) {
      this.rec.fail(inv, ret, `gateway ${learned} with RTCF_REDIRECTED`, `flags ${ret.flags.toString(16)}`, `check of route ${c.rt} switched to the learned gateway without RTCF_REDIRECTED`, hist, c.rt);
      return;
    }
    this.rec.pass(inv);
  }

  /** A route destroyed: its pointer may come back as another route. */
  private onFree(rt: string | undefined): void {
    this.seed.free(rt);
  }
}

/** pathKindOf by caller: callers are few distinct strings, and this runs for every lookup's return. */
const PATH_KINDS = new Map<string, PathKind | null>();

/** The path a lookup's caller belongs to (undefined: no caller, or not a path: not a PMTU/redirect path's own lookup). */
function pathKindOf(caller: string | undefined): PathKind | undefined {
  if (caller === undefined) return undefined;
  let k = PATH_KINDS.get(caller);
  if (k === undefined) {
    k = /frag_needed/.test(caller) ? 'frag' : /update_pmtu/.test(caller) ? 'update' : /ip_rt_redirect/.test(caller) ? 'redirect' : null;
    if (PATH_KINDS.size < 4096) PATH_KINDS.set(caller, k);
  }
  return k ?? undefined;
}

/** The event carries some reading of the route's MTU. */
function hasMtu(e: CanonicalEvent): boolean {
  return e.rtMtu !== undefined || e.metrics !== undefined;
}
