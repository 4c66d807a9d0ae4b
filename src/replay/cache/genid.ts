/**
 * The global peer genid G of the routing-cache eras: it moves only through the bump paths
 * (frag_needed, redirect, update_pmtu in progress), by +1 per bump; a flush never moves it; in
 * the seed nothing moves it. Each observation of G in any event field is checked against the
 * paths in progress (their causes); on several CPUs, reads printed late and moves shown before
 * their path are settled with genid-races.ts.
 */
import type { CacheEra } from '../../core/eras.ts';
import type { CanonicalEvent } from '../../trace/events.ts';
import { eventKey } from '../../trace/callctx.ts';
import { type Recorder, Ring } from '../coverage.ts';
import { GenidRaces } from '../genid-races.ts';
import type { Overlaps } from '../overlap.ts';
import { MAX_CONTEXTS, snapshotRing, u32 } from './common.ts';
import type { RouteTable } from './routes.ts';
import { redirectWalkReason, STAGE_DECIDES } from '../stage-rules.ts';

/** A bump path in progress: the move it may explain. */
interface Cause {
  kind: 'frag' | 'update' | 'redirect';
  ctx: number;
  daddr?: string;
  /** The path's call is over (its context moved on): its bump, if any, has happened. */
  done: boolean;
  rt?: string;
  /** What the path's own peer lookup returned, if seen. */
  lookup?: LookupResult;
}

export type LookupResult = 'peer' | 'null';
export type PathKind = Cause['kind'];

/** Causes kept at most (the oldest goes first). */
const MAX_CAUSES = 64;

export class GenidTracker {
  private G: number | undefined;
  private causes: Cause[] = [];
  /** The last events that showed the global genid: the history of a genid divergence. */
  private readonly gHist: Ring;
  /** Genid reads and bumps seen from several CPUs (genid-races.ts). */
  private readonly races = new GenidRaces();
  /** A path's own lookup seen before its path event (frag_needed is emitted at its return), per context. */
  private readonly preLookups = new Map<number, { daddr: string; result: LookupResult }>();

  constructor(
    private readonly era: CacheEra,
    private readonly rec: Recorder,
    private readonly historySize: number,
    /** S4/S5: the paths bump only when they change something (not once per call); undefined: the stage is not known. */
    private readonly late: boolean | undefined,
    private readonly overlaps: Overlaps,
    private readonly routes: RouteTable,
  ) {
    this.gHist = new Ring(historySize);
  }

  /** The genid as last observed (undefined: not seen since the start or the last gap). */
  get current(): number | undefined {
    return this.G;
  }

  /** Only whether there are two CPUs matters (concurrent reads and bumps). */
  noteCpu(cpu: number | undefined, irq?: number): void {
    this.races.noteCpu(cpu);
    if (irq !== undefined && irq > 0) this.races.noteInterrupt();
  }

  /** Calls may run at once (several CPUs, or CPUs not shown). */
  get mayBeConcurrent(): boolean {
    return this.races.mayBeConcurrent;
  }

  /**
   * Causes a move took, by context, with the line of the event that took them, while their path
   * is in progress: a move seen while events were being lost may have been a lost path's, not
   * theirs (Recorder.retract; gap() gives them back). Dropped once the context moves on.
   */
  private taken = new Map<number, { cause: Cause; line: number }[]>();

  /** Takes `n` causes from index `at` for a move (remembered for a gap that may follow). */
  private take(at: number, n: number): Cause[] {
    const got = this.causes.splice(at, n);
    const line = this.rec.now ?? 0;
    for (const cause of got) {
      if (cause.done) continue;
      let l = this.taken.get(cause.ctx);
      if (!l) {
        if (this.taken.size >= MAX_CONTEXTS) this.taken.clear();
        this.taken.set(cause.ctx, (l = []));
      }
      if (l.length < MAX_CAUSES) l.push({ cause, line });
    }
    return got;
  }

  /**
   * Lost events: the genid and the paths that started in the hole are unknown. `from`: the line
   * after which the events were lost (0 when unknown). The moves seen since then may have been
   * lost paths' bumps: the paths still in progress whose causes those moves took get them back
   * (their own bumps may come after the gap).
   */
  gap(from = 0): void {
    const back = this.takenSince(from);
    this.preLookups.clear();
    this.walks.clear();
    for (let i = this.races.gap(); i > 0; i--) this.rec.unchecked('genid-steps-by-one-per-bump', 'the bump path that explains a move may be in lost events');
    this.G = undefined;
    // A path whose call is still open keeps its cause: its return (and its bump) may come after
    // the hole.
    this.causes = [...back, ...this.causes.filter((c) => !c.done)];
    if (this.causes.length > MAX_CAUSES) this.causes.splice(0, this.causes.length - MAX_CAUSES);
  }

  /** The causes moves took after line `from` whose paths are still in progress (forgotten as taken). */
  private takenSince(from: number): Cause[] {
    const back: Cause[] = [];
    for (const l of this.taken.values()) for (const t of l) if (t.line > from) back.push(t.cause);
    this.taken.clear();
    return back;
  }

  /**
   * The return of a bump path whose entry the trace does not show (it began before the trace or
   * in lost events: Recorder.unseenCall): its bump explains the move it shows, unchecked (its
   * entry read is not known). Moves seen since then may have taken other paths' causes for it:
   * they are given back, and it pays one move owed in its window.
   */
  private unseenPathBump(e: CanonicalEvent, nv: number): void {
    const back = this.takenSince(this.rec.lossFrom);
    if (back.length) this.causes = [...back, ...this.causes];
    this.rec.unchecked('genid-steps-by-one-per-bump', 'the bump path began before the trace or in lost events');
    this.races.credit(u32(nv - 16), nv);
    this.gHist.push(e);
    if (this.G === undefined || (nv !== this.G && u32(nv - this.G) < 0x80000000)) this.setG(nv);
  }

  /** End of trace: moves no path on another CPU paid for are divergences. */
  finish(): void {
    for (const o of this.races.unpaid()) {
      const inv = o.e.kind === 'flush' ? 'flush-keeps-peer-genid' : 'genid-steps-by-one-per-bump';
      this.rec.fail(inv, o.e, `genid ${o.from} (no bump path in progress)`, `genid ${u32(o.from + o.count)}`, `the global genid moved from ${o.from} by ${o.count} with no PMTU/redirect path to explain it`, o.hist);
    }
  }

  /** An observation of G in any event field. */
  observe(e: CanonicalEvent, value: number | undefined): void {
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
    // Causes exist only in the pmtu-redirect era (onPath): elsewhere nothing may move G.
    const allowed = this.causes.length;
    if (delta <= allowed) {
      for (const c of this.take(0, delta)) this.overlaps.genidMoved(c.ctx);
      this.rec.genidBumps += delta;
      this.rec.pass('genid-steps-by-one-per-bump');
    } else if (this.walking()) {
      // A late stage's redirect in progress may bump several times (stage-rules.ts).
      for (const c of this.take(0, allowed)) this.overlaps.genidMoved(c.ctx);
      this.rec.unchecked('genid-steps-by-one-per-bump', redirectWalkReason(this.late === undefined ? 'unknown' : 'S4'));
      this.rec.genidBumps += delta;
      this.overlaps.genidMoved(undefined);
    } else if (this.races.severalCpus && delta < 0x10000) {
      // Several CPUs: a bump path on another CPU shows itself at its return (the 3.0 probes print
      // frag_needed there), after this read of the moved genid. Owed until that return explains
      // it (finish() reports what nothing explained).
      for (const c of this.take(0, allowed)) this.overlaps.genidMoved(c.ctx);
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

  private setG(v: number): void {
    this.races.moved(this.G, v);
    this.G = v;
  }

  /** Contexts with a redirect in progress whose walk may bump several times (stage-rules.ts). */
  private readonly walks = new Set<number>();

  private walking(): boolean {
    return this.walks.size > 0;
  }

  private mayWalk(): boolean {
    return this.era === 'pmtu-redirect' && this.late !== false;
  }

  /** Causes whose call is over had their chance to show at this observation. */
  private dropDone(): void {
    if (this.causes.length && this.causes.some((c) => c.done)) this.causes = this.causes.filter((c) => !c.done);
  }

  /** Another event in the same context: the paths that context was in have returned. */
  contextMoved(e: CanonicalEvent): void {
    const k = eventKey(e);
    if (this.walks.size > 0) this.walks.delete(k);
    for (const c of this.causes) if (c.ctx === k) c.done = true;
    if (this.taken.size > 0) this.taken.delete(k);
  }

  /** A PMTU/redirect path event (its genid already observed): in pmtu-redirect, a bump may follow. */
  onPath(e: CanonicalEvent, kind: PathKind): void {
    this.contextMoved(e);
    if (this.era !== 'pmtu-redirect') return; // only the follow-ups' paths bump
    const cause: Cause = { kind, ctx: eventKey(e), daddr: e.daddr, done: false, rt: e.rt };
    if (kind === 'redirect' && this.mayWalk()) {
      if (this.walks.size >= MAX_CONTEXTS) this.walks.clear();
      this.walks.add(cause.ctx);
    }
    const pre = this.preLookups.get(cause.ctx);
    if (pre && pre.daddr === e.daddr) cause.lookup = pre.result;
    if (pre) this.preLookups.delete(cause.ctx);
    this.causes.push(cause);
    if (this.causes.length > MAX_CAUSES) this.causes.shift();
  }

  /**
   * A path's own lookup (frag_needed / redirect / update_pmtu): remembered on the path in progress
   * in this lookup's own context (several CPUs may be in one) for that destination, or for the
   * path event that follows (a reader may emit the path event at its return, after the lookup).
   */
  ownLookup(ctx: number, daddr: string, result: LookupResult): void {
    for (let i = this.causes.length - 1; i >= 0; i--) {
      const c = this.causes[i]!;
      if (c.ctx === ctx && !c.done && c.lookup === undefined && (c.daddr === undefined || c.daddr === daddr)) {
        c.lookup = result;
        return;
      }
    }
    if (this.preLookups.size >= MAX_CONTEXTS) this.preLookups.clear();
    this.preLookups.set(ctx, { daddr, result });
  }

  /** A genid_bump event; `pathInHole`: its context's first event since lost events. */
  onBump(e: CanonicalEvent, pathInHole: boolean): void {
    if (e.counter && e.counter !== 'peer') return this.rec.ignore('genid_bump of a namespace counter in a cache era');
    if (e.old === undefined && this.rec.unseenCall && this.era === 'pmtu-redirect') {
      const nv = e.new ?? e.genid;
      if (nv !== undefined) return this.unseenPathBump(e, u32(nv));
    }
    if (e.old === undefined) {
      this.observe(e, e.new ?? e.genid);
      return;
    }
    // `old` is the path's entry read: on several CPUs others may have bumped since (overlap.ts).
    const oldBehind = this.races.isBehind(this.G, u32(e.old));
    if (!oldBehind) this.observe(e, e.old);
    const nv = e.new ?? e.genid;
    if (nv === undefined) return;
    const delta = u32(nv - e.old);
    // The bump is the path's in this context (its return probe); FIFO only when none is.
    const k = eventKey(e);
    let ci = this.causes.findIndex((c) => c.ctx === k);
    // FIFO only for a move not seen yet: a bump whose move was already observed (its entry read is
    // behind) had its own cause taken by that observation, and another context's path in
    // progress keeps its cause for its own bump.
    if (ci < 0 && !oldBehind) ci = 0;
    const cause = ci >= 0 && this.causes.length ? this.take(ci, 1)[0] : undefined;
    if (delta > 0) this.overlaps.genidMoved(cause?.ctx ?? k);
    if (this.walks.delete(k) && this.mayWalk() && (delta > 1 || oldBehind)) {
      // A late stage's redirect: its walk bumps once per route it changes (stage-rules.ts), so
      // it may explain every move in its window (other CPUs' moves owed there are paid by it).
      this.rec.unchecked('genid-steps-by-one-per-bump', redirectWalkReason(this.late === undefined ? 'unknown' : 'S4'));
      if (!oldBehind) this.rec.genidBumps += delta;
      for (let i = 0; i < Math.min(delta, 16); i++) this.races.credit(u32(e.old), u32(nv));
      this.gHist.push(e);
      const ahead = this.G === undefined || (u32(nv - this.G) < 0x80000000 && nv !== this.G);
      if (ahead) this.setG(u32(nv));
      return;
    }
    // Its cause was taken off the list above: the path's credit replaces it.
    if (oldBehind) return this.concurrentBump(e, u32(e.old), u32(nv));
    const want = this.expectedMove(e, delta, cause, pathInHole);
    if (want === 'stage-decides') {
      // S2/S3 would fail this move and S4/S5 allow it (or the reverse): only the stage can say.
      this.rec.unchecked('genid-steps-by-one-per-bump', STAGE_DECIDES);
      this.rec.genidBumps += delta;
      this.gHist.push(e);
      this.setG(u32(nv));
      return;
    }
    if (want === 'path-in-hole') {
      // The first event of this context after lost events: its path's entry may be in the hole.
      this.rec.unchecked('genid-steps-by-one-per-bump', 'the bump path that explains a move may be in lost events');
      this.gHist.push(e);
      this.G = u32(nv);
      return;
    }
    const { ok, expected } = want;
    if (!ok && this.races.severalCpus && delta > 1 && delta <= 16 && this.era === 'pmtu-redirect') {
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

  /** What a bump event's move must be, by era, stage and the path it belongs to. */
  private expectedMove(e: CanonicalEvent, delta: number, cause: Cause | undefined, pathInHole: boolean): { ok: boolean; expected: string } | 'path-in-hole' | 'stage-decides' {
    if (this.era === 'pre-genid') return { ok: delta === 0, expected: 'no genid moving (pre-genid kernels have no peer genid)' };
    if (this.era === 'seed') {
      // The seed has no bumper of its own: its PMTU/redirect paths never move the genid. A bare
      // bump event (an explicit bump, what the follow-ups add) is checked for +1 only.
      const inPath = /frag_needed|redirect|update_pmtu/.test(e.probe ?? '');
      return inPath ? { ok: delta === 0, expected: "+0 (the seed's PMTU/redirect paths do not bump)" } : { ok: delta <= 1, expected: '+1' };
    }
    if (!cause && pathInHole) return 'path-in-hole';
    if (!cause) return { ok: delta === 0, expected: 'no bump (no PMTU/redirect path in progress)' };
    if (cause.kind === 'frag' && !this.late) {
      const want = cause.lookup === 'null' ? 0 : 1;
      if (cause.lookup === undefined) return { ok: delta <= 1, expected: '+0 or +1' };
      // Not known: S4/S5 allow +0 or +1 (a bump only when something is learned).
      if (this.late === undefined && delta !== want && delta <= 1) return 'stage-decides';
      return { ok: delta === want, expected: `+${want} (ip_rt_frag_needed bumps once per call that got a peer)` };
    }
    if (cause.kind === 'redirect' && !this.late && cause.lookup !== undefined) {
      const want = cause.lookup === 'peer' ? 1 : 0;
      if (this.late === undefined && delta !== want && delta <= 1) return 'stage-decides';
      return { ok: delta === want, expected: `+${want} (an accepted redirect bumps once)` };
    }
    return { ok: delta <= 1, expected: '+0 or +1' };
  }

  /**
   * A bump path's return on a trace where other CPUs bumped during the path (its entry read is
   * behind the genid): the path's own move is at most one of `old..new`; the others were seen.
   */
  private concurrentBump(e: CanonicalEvent, old: number, nv: number): void {
    const delta = u32(nv - old);
    const ahead = u32(nv - this.G!) < 0x80000000 && nv !== this.G;
    // Its own move is one of old..new, among other CPUs' moves: the path gives one credit for a
    // move in its window; the moves not seen yet are owed like any other (matched at the end).
    this.rec.unchecked('genid-steps-by-one-per-bump', 'other CPUs bumped during this path');
    if (delta > 0) this.races.credit(old, nv);
    if (ahead) this.observe(e, nv);
    this.gHist.push(e);
  }

  /** A route cache flush: it never moves the genid. */
  onFlush(e: CanonicalEvent): void {
    this.contextMoved(e);
    this.observe(e, e.genid);
    if (e.genid !== undefined) this.rec.pass('flush-keeps-peer-genid');
  }
}
