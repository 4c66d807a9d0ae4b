/**
 * The global genid seen from several CPUs (routing-cache eras). One CPU's probe may print a read
 * of the genid made before another CPU's bump that the trace shows first, and a bump path's
 * probes print at its return (3.0's frag_needed), after other CPUs have already read the moved
 * value. So, only on a trace that shows two CPUs or more:
 * - a value the genid had a few moves ago is a late print, not a move back (`isBehind`);
 * - a move no bump path in progress explains is owed (`owe`); each bump path that returns with
 *   its entry read behind gives one credit for a move inside its window (its entry read .. its
 *   return read) (`credit`). At the end of the trace moves and credits are matched (each path
 *   explains one move, in its window); what no credit explains is reported (`unpaid`). A gap
 *   forgets both (the payer may be lost).
 */
import type { CanonicalEvent } from '../trace/events.ts';
import type { Ring } from './coverage.ts';
import { own } from '../trace/columns/cursor.ts';

const u32 = (x: number) => x >>> 0;

export interface Owed {
  e: CanonicalEvent;
  from: number;
  to: number;
  count: number;
  hist: Ring;
}

export class GenidRaces {
  /** CPUs the trace has shown (only whether there are two matters). */
  private readonly cpus = new Set<number>();
  /** Recent values of the genid, oldest first. */
  private recent: number[] = [];
  private owed: Owed[] = [];
  private credits: { from: number; to: number }[] = [];

  noteCpu(cpu: number | undefined): void {
    if (cpu !== undefined && this.cpus.size < 2) this.cpus.add(cpu);
  }

  get severalCpus(): boolean {
    return this.cpus.size >= 2;
  }

  /** An event ran in interrupt context: on one CPU a call may be interrupted by another. */
  private interrupted = false;

  noteInterrupt(): void {
    this.interrupted = true;
  }

  /** Calls may run at once: several CPUs seen, no event said its CPU, or interrupts nest calls. */
  get mayBeConcurrent(): boolean {
    return this.cpus.size !== 1 || this.interrupted;
  }

  /** The genid moves from `prev` (the value before). */
  moved(prev: number | undefined, next: number): void {
    if (prev === undefined || prev === next) return;
    // Every bump is +1: a move seen as a jump of a few (another CPU's read printed before the
    // paths that explain it) went through each value between, and a path's entry read may have
    // seen any of them.
    const step = u32(next - prev);
    const passed = step <= 16 ? step : 1;
    for (let i = 0; i < passed; i++) this.recent.push(u32(prev + i));
    if (this.recent.length > 16) this.recent.splice(0, this.recent.length - 16);
  }

  /**
   * `v` is a value the genid `g` had a few moves ago, read on a trace with several CPUs: one of
   * its recent values, or one just before the first value replay saw (a path's entry read
   * printed at its return).
   */
  isBehind(g: number | undefined, v: number): boolean {
    if (g === undefined || v === g || !this.severalCpus) return false;
    if (u32(g - v) >= 0x10000) return false;
    if (this.recent.includes(v)) return true;
    const first = this.recent.length ? this.recent[0]! : g;
    return u32(first - v) <= 16;
  }

  owe(o: Owed): void {
    if (this.owed.length < 64) this.owed.push({ ...o, e: own(o.e) });
  }

  /** A bump path that read `from` at entry and `to` at return: it explains one move between. */
  credit(from: number, to: number): void {
    if (this.credits.length < 256) this.credits.push({ from, to });
  }

  /**
   * Moves nothing explained (end of trace): owed moves matched with credits, earliest-ending
   * window first (the greedy that finds a matching of points to intervals when one exists).
   * Positions are taken relative to the oldest owed move (u32 wrap).
   */
  unpaid(): Owed[] {
    if (this.owed.length === 0) return [];
    const base = Math.min(...this.owed.map((o) => o.from));
    const rel = (x: number) => (x - base) | 0;
    const credits = this.credits.map((c) => ({ from: rel(c.from), to: rel(c.to), used: false })).sort((a, b) => a.to - b.to);
    const left: Owed[] = [];
    for (const o of [...this.owed].sort((a, b) => rel(a.to) - rel(b.to))) {
      let need = o.count;
      for (const c of credits) {
        if (need === 0) break;
        if (!c.used && c.from < rel(o.to) && c.to > rel(o.from)) {
          c.used = true;
          need--;
        }
      }
      if (need > 0) left.push({ ...o, count: need });
    }
    this.owed = [];
    this.credits = [];
    return left;
  }

  /** Lost events: the payers may be in the hole. Returns how many moves stay unexplained. */
  gap(): number {
    const n = this.owed.length;
    this.owed = [];
    this.credits = [];
    this.recent = [];
    return n;
  }
}
