/**
 * Fnhe era: route creations that may have raced an exception update on another CPU/task.
 *
 * An output lookup runs find_exception, then (nothing found) allocates a route (the probe that
 * names it) and caches it in its CPU's slot of the next hop. update_or_create_fnhe, fired in
 * another context, publishes a NEW exception and then KILLs the routes in the next hop's slots.
 * If the publish comes after the lookup's find_exception and the kill before its caching, the
 * route is cached alive beside an exception for its destination: a later update through it finds
 * the exception, updates it in place and kills nothing. The trace shows neither the lookup's
 * start (its entry probe and an empty find_exception make no event) nor the caching, only the
 * route's probe in between; the window is taken from the context's previous event to its next
 * one, and an update whose context has shown nothing since its probe counts as still running.
 *
 * Two lookups of the same next hop on one CPU (a softirq nested in a task's lookup, or a
 * preemptible RCU section) can both find the slot empty or stale; the later rt_cache_route
 * replaces the earlier route, which goes on the uncached list alive, where a new exception's
 * kill does not reach it. So a creation overlapping another creation counts as raced too.
 */

import type { CanonicalEvent } from '../trace/events.ts';
import { callKey, IRQ_NMI } from '../trace/callctx.ts';

/** Entries kept; older ones are dropped conservatively (their routes count as raced, their windows as open). */
const KEEP = 512;

/**
 * One call's window: from its context's previous event to the context's next one (`end`,
 * undefined while the context has shown nothing since).
 */
interface Entry<R> {
  kind: 'create' | 'update' | 'flush' | 'procflush';
  ctx: number;
  end: number | undefined;
  route?: R;
  /** A creation that binds an exception: rt_bind_exception puts the exception's previous route (DEAD). */
  binds?: boolean;
  /** The destination of a creation's lookup or of an update, when known. */
  daddr?: string;
}

export class CreationRaces<R> {
  private seq = 0;
  /** The sequence number of each context's last event. */
  private readonly lastOf = new Map<number, number>();
  /** Per CPU, the sequence number of its last event at each interrupt level (0 task .. 3 NMI). */
  private readonly lastAtLevel = new Map<number, number[]>();
  /** The previous event of the context of the event being handled (before `seen`). */
  private prevOfCurrent = 0;
  /** Recent creations and updates, oldest first. */
  private entries: Entry<R>[] = [];
  /** The entries whose context has shown nothing since, by context. */
  private readonly open = new Map<number, Entry<R>[]>();
  /** The latest end of a dropped entry (Infinity if one was still open). */
  private droppedEnd = 0;

  constructor(
    private readonly mark: (r: R) => void,
    /**
     * The exception the route binds may have changed before rt_bind_exception read it: a /proc
     * flush bumped fnhe_genid, or an update on another CPU/task changed it in place.
     */
    private readonly markException: (r: R, why: 'fnhe-genid' | 'updated', daddr?: string) => void = () => {},
  ) {}

  /**
   * Every event, before it is handled; `returned`: other contexts this event shows have returned
   * (the interrupt levels above the event's on its CPU).
   */
  seen(ctx: number, returned: readonly number[] = [], cpu?: number, irq = 0): void {
    this.seq++;
    this.prevOfCurrent = this.lastOf.get(ctx) ?? 0;
    this.lastOf.set(ctx, this.seq);
    if (cpu !== undefined) {
      // An interrupt began after the last event below its level on its CPU (it was not running then).
      let at = this.lastAtLevel.get(cpu);
      if (!at) this.lastAtLevel.set(cpu, (at = [0, 0, 0, 0]));
      for (let l = 0; l < irq && l < at.length; l++) this.prevOfCurrent = Math.max(this.prevOfCurrent, at[l]!);
      if (irq < at.length) at[irq] = this.seq;
    }
    if (this.open.size === 0) return;
    this.close(ctx);
    for (const c of returned) this.close(c);
  }

  private close(ctx: number): void {
    const list = this.open.get(ctx);
    if (!list) return;
    for (const x of list) x.end = this.seq;
    this.open.delete(ctx);
  }

  private push(x: Entry<R>): void {
    this.entries.push(x);
    let l = this.open.get(x.ctx);
    if (!l) this.open.set(x.ctx, (l = []));
    l.push(x);
    if (this.entries.length > 2 * KEEP) {
      for (const d of this.entries.slice(0, KEEP)) {
        this.droppedEnd = Math.max(this.droppedEnd, d.end ?? Number.POSITIVE_INFINITY);
        if (d.route !== undefined) this.mark(d.route);
      }
      this.entries = this.entries.slice(KEEP);
    }
  }

  /**
   * A next-hop route was created in `ctx`: did another creation or an exception update overlap
   * its lookup's window so far? Overlapping creations are marked too (either may displace the
   * other from the slot); later ones mark it through the same test.
   */
  created(ctx: number, route: R, binds = false, daddr?: string): { raced: boolean; updated: boolean } {
    let raced = this.droppedEnd > this.prevOfCurrent;
    let updated = raced;
    for (const x of this.entries) {
      if (x.kind === 'flush' || x.kind === 'procflush' || x.ctx === ctx || (x.end !== undefined && x.end <= this.prevOfCurrent)) continue;
      raced = true;
      // (An update of another destination's exception does not change the one this route binds.)
      if (x.kind === 'update' && (x.daddr === undefined || daddr === undefined || x.daddr === daddr)) updated = true;
      if (x.route !== undefined) this.mark(x.route);
    }
    this.push({ kind: 'create', ctx, end: undefined, route, binds, daddr });
    return { raced, updated };
  }

  /** An exception update (update_or_create_fnhe's entry probe) in `ctx`: open creations elsewhere raced it. */
  updated(ctx: number, daddr?: string): void {
    for (const [c, l] of this.open) {
      if (c === ctx) continue;
      for (const x of l) {
        if (x.route === undefined) continue;
        this.mark(x.route);
        this.markException(x.route, 'updated', daddr);
      }
    }
    this.push({ kind: 'update', ctx, end: undefined, daddr });
  }

  /** A flush probe (entry: the bump comes after it) in `ctx`; `proc`: the /proc flush, which then bumps fnhe_genid. */
  flushed(ctx: number, proc = false): void {
    if (proc) for (const [c, l] of this.open) if (c !== ctx) for (const x of l) if (x.route !== undefined) this.markException(x.route, 'fnhe-genid');
    this.push({ kind: proc ? 'procflush' : 'flush', ctx, end: undefined });
  }

  /**
   * Could a flush in another context have bumped the namespace genid since the previous event of
   * the context of the event being handled (e.g. between rt_dst_alloc's read and its return probe)?
   */
  flushSincePrevious(ctx: number, proc = false): boolean {
    if (this.droppedEnd > this.prevOfCurrent) return true;
    for (const x of this.entries) if ((x.kind === 'procflush' || (!proc && x.kind === 'flush')) && x.ctx !== ctx && (x.end === undefined || x.end > this.prevOfCurrent)) return true;
    return false;
  }

  /** Is a /proc flush in a context other than `ctx` still open (its fnhe_genid bump may not be done)? */
  procFlushOpen(ctx: number): boolean {
    for (const [c, l] of this.open) if (c !== ctx && l.some((x) => x.kind === 'procflush')) return true;
    return false;
  }

  /**
   * Is a flush (both flush probes fire at the function's entry, the bump comes after), an
   * exception update (a new exception KILLs the next hop's routes inside the call) or a creation
   * binding an exception (rt_bind_exception, after the route's probe, puts the exception's
   * previous route) still open in a context other than `ctx`? A check entering now may read a
   * route alive that dies before its compare.
   */
  effectOpen(ctx: number): boolean {
    for (const [c, l] of this.open) if (c !== ctx && l.some((x) => x.binds || x.kind !== 'create')) return true;
    return false;
  }

  /** Lost events. */
  reset(): void {
    for (const x of this.entries) if (x.route !== undefined) {
      this.mark(x.route);
      this.markException(x.route, 'updated');
    }
    this.entries = [];
    this.open.clear();
    this.lastOf.clear();
    this.lastAtLevel.clear();
    this.droppedEnd = 0;
  }
}

const NONE: readonly number[] = [];

/**
 * The interrupt contexts an event shows have returned: those above its level on its CPU (an
 * interrupt runs to its end before its CPU runs anything below it). With no level (task context,
 * or a layout without flags, where no interrupt context has a key of its own), those above 0.
 */
export function interruptsReturned(e: CanonicalEvent): readonly number[] {
  const at = e.irq ?? 0;
  if (e.cpu === undefined || at >= IRQ_NMI) return NONE;
  const out: number[] = [];
  for (let lvl = at + 1; lvl <= IRQ_NMI; lvl++) out.push(callKey(undefined, e.cpu, lvl));
  return out;
}

const MAX_UPDATED = 1 << 16;

/**
 * Next-hop route creations counted per namespace (next hops belong to one): a task that migrates
 * between its lookup's slot read and its rt_cache_route (a preemptible RCU section) can replace a
 * valid route in another CPU's slot, where a later kill does not reach it. And the destinations
 * an exception update was seen for: a later update for one may find the exception there (its
 * lookup raced the publish), update it in place and kill nothing.
 */
export class NexthopHistory {
  private readonly creations = new Map<string | undefined, number>();
  private readonly daddrs = new Set<string>();

  /** A next-hop route was created in `net`: its number there. */
  created(net: string | undefined): number {
    this.creations.set(net, (this.creations.get(net) ?? 0) + 1);
    return this.creationsIn(net);
  }

  /** Next-hop routes created in `net` so far, those of an unknown namespace included. */
  creationsIn(net: string | undefined): number {
    return (net === undefined ? 0 : (this.creations.get(net) ?? 0)) + (this.creations.get(undefined) ?? 0);
  }

  /** An update for `daddr`: was one seen before (or can it not be told: no address, or too many to keep)? */
  updated(daddr: string | undefined): boolean {
    const seen = daddr === undefined || this.daddrs.size >= MAX_UPDATED || this.daddrs.has(daddr);
    if (daddr !== undefined && this.daddrs.size < MAX_UPDATED) this.daddrs.add(daddr);
    return seen;
  }
}
