/**
 * What the cache-era peers hold, as the trace shows it (src/replay/outcomes.ts drives it):
 * - after a PMTU path for a destination (its peer: the path's own lookup, or the route's peer for
 *   update_pmtu), the peer's learned PMTU is at most the path's (floor and plateau rules), and a
 *   frag-needed that returned what it learned left pmtu_expires != 0;
 * - a check that saved pmtu_orig leaves that value in the peer;
 * - a peer created in the trace (a create=1 lookup gave a new pointer after a lookup showed none
 *   for its destination) holds nothing learned at its first check_peer_pmtu, unless a path for
 *   its destination ran since (a path naming no destination makes that judgement unchecked).
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent } from '../trace/events.ts';
import type { Recorder, Ring } from './coverage.ts';
import { own } from '../trace/columns/cursor.ts';
import { fragNeededBound, isNullPtr, noGateway, updatePmtuBound, type Known } from './pmtu-state.ts';

/** Past this many entries a knowledge map is cleared (knowledge lost = judgements not made, never wrong ones). */
const MAX_ENTRIES = 1 << 15;

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

/** The PMTU/redirect paths: ip_rt_frag_needed, ip_rt_update_pmtu, ip_rt_redirect. */
export type PathKind = 'frag' | 'update' | 'redirect';

export class PeerJudge {
  private readonly peers = new Map<string, PeerKnowledge>();
  /** Destinations a lookup showed without a peer. */
  private readonly none = new Set<string>();
  /** PMTU/redirect paths in progress per context, waiting for their own lookup (the model renders it after the path event). */
  private readonly pathWaiting = new Map<number, { e: CanonicalEvent; kind: 'frag' | 'update' | 'redirect' } | undefined>();
  /** The last path lookup per context, waiting for its path event (ftrace maps emit the path at its return). */
  private readonly lookupWaiting = new Map<number, { daddr: string; peer: string; kind?: PathKind } | undefined>();
  /** Fresh peers by destination (for the paths that name only a destination). */
  private readonly freshOf = new Map<string, PeerKnowledge>();
  /** PMTU/redirect paths that named neither a destination nor a peer. */
  private blindPaths = 0;

  constructor(
    private readonly era: Era,
    private readonly rec: Recorder,
    private readonly historyOf: (rt: string | undefined) => Ring | undefined,
  ) {}

  clear(): void {
    this.peers.clear();
    this.none.clear();
    this.pathWaiting.clear();
    this.lookupWaiting.clear();
    this.freshOf.clear();
  }

  /** A check applied the learned PMTU with pmtu_orig 0: the peer holds the route's raw metric from now on. */
  origSaved(pp: CanonicalEvent, raw: Known<number>): void {
    const k = this.peerRec(pp.peer!);
    k.applied = true;
    if ('value' in raw) k.origWant = { value: raw.value, line: pp.line, file: pp.file };
  }

  private peerRec(peer: string): PeerKnowledge {
    let k = this.peers.get(peer);
    if (!k) {
      if (this.peers.size >= MAX_ENTRIES) this.peers.clear();
      k = { fresh: false, pmtuPath: false, redirectPath: false, applied: false };
      this.peers.set(peer, k);
    }
    return k;
  }

  /**
   * A peer lookup returned: learn which peers are new, and attach a path's own lookup to its path.
   * `callerKind` is the path the lookup's caller belongs to, when the trace names the caller: a
   * lookup made by ip_rt_frag_needed never belongs to a redirect still waiting for its own lookup
   * (a refused redirect makes none), and such a stale wait is over once another path's lookup runs.
   */
  onLookup(daddr: string | undefined, create: 0 | 1 | undefined, peer: string | undefined, ctx: number, pathLookup: boolean, pure: boolean, callerKind?: PathKind): void {
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
          // A path in progress with no lookup of its own seen yet may learn into this peer, bound
          // to its route by another CPU meanwhile: an update_pmtu of a peerless route (its event
          // names no peer), an S4/S5 redirect walk for this destination (it looks nothing up for
          // a route that has a peer). (Past 256 waiting contexts: a judgement skipped, never a
          // wrong one.)
          if (this.pathWaiting.size > 256) k.blindAt = this.blindPaths - 1;
          else {
            for (const w of this.pathWaiting.values()) {
              if (w?.kind === 'update' && (w.e.peer === undefined || isNullPtr(w.e.peer))) k.pmtuPath = true;
              else if (w !== undefined && w.e.daddr === daddr) {
                if (w.kind === 'redirect') k.redirectPath = true;
                else k.pmtuPath = true;
              }
            }
          }
          if (this.freshOf.size >= MAX_ENTRIES) this.freshOf.clear();
          this.freshOf.set(daddr, k);
        }
      } else if (known.daddr !== undefined && known.daddr !== daddr) {
        // The pointer was freed and reused for another destination: a new peer we know nothing of.
        this.peers.set(peer, { daddr, fresh: false, pmtuPath: false, redirectPath: false, applied: false });
      } else known.daddr = daddr;
      this.none.delete(daddr);
      // A PMTU/redirect path's own lookup: that path learns into this peer before its return
      // prints the path event (3.0's frag_needed), and another CPU may read the peer meanwhile.
      const got = pathLookup && callerKind !== undefined ? this.peers.get(peer) : undefined;
      if (got && callerKind === 'redirect') got.redirectPath = true;
      else if (got) got.pmtuPath = true;
    }
    if (!pathLookup || isNullPtr(peer)) return;
    const w = this.pathWaiting.get(ctx);
    if (w && callerKind !== undefined && callerKind !== w.kind) this.pathWaiting.set(ctx, undefined); // that path made no lookup
    else if (w && (w.e.daddr === undefined || w.e.daddr === daddr)) {
      this.pathWaiting.set(ctx, undefined);
      this.pathLearned(w.e, w.kind, peer);
      return;
    }
    if (this.lookupWaiting.size >= MAX_ENTRIES) this.lookupWaiting.clear();
    this.lookupWaiting.set(ctx, { daddr, peer, ...(callerKind !== undefined ? { kind: callerKind } : {}) });
  }

  /** A PMTU/redirect path: its peer is the one its own lookup returned (before or after this event). */
  onPath(e: CanonicalEvent, kind: 'frag' | 'update' | 'redirect', ctx: number): void {
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
    if (l && (l.kind === undefined || l.kind === kind) && (e.daddr === undefined || l.daddr === e.daddr)) {
      this.lookupWaiting.set(ctx, undefined);
      return this.pathLearned(e, kind, l.peer);
    }
    if (this.pathWaiting.size >= MAX_ENTRIES) this.pathWaiting.clear();
    this.pathWaiting.set(ctx, { e: own(e), kind });
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
  onPeerPmtu(e: CanonicalEvent): void {
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
}
