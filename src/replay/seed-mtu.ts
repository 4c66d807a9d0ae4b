/**
 * The seed commit alone (era `seed`): PMTU still lives in the route's metrics and the routing
 * cache (ip_rt_frag_needed and update_pmtu write the MTU metric of the cached routes directly;
 * nothing in the genid machinery restores it), so a route's MTU, read at its checks, never rises
 * while the route lives. Exceptions the kernel really has, reported unchecked: a copy-on-write
 * that moved the route onto its peer's metrics array (another route may have initialised it),
 * and the ip_rt_min_pmtu floor of a PMTU path, which raises a route that was below it.
 */
import type { CanonicalEvent } from '../trace/events.ts';
import type { Recorder, Ring } from './coverage.ts';
import { routeMtu } from './pmtu-state.ts';

const INV = 'route-mtu-only-lowers';
const MAX_ROUTES = 1 << 15;

export class SeedMtuJudge {
  private readonly last = new Map<string, { mtu: number; line: number; metrics?: string; paths: number }>();
  /** PMTU paths seen so far (frag_needed, update_pmtu), and ip_rt_min_pmtu as last seen on one. */
  private paths = 0;
  private minPmtu: number | undefined;

  constructor(
    private readonly rec: Recorder,
    private readonly historyOf: (rt: string | undefined) => Ring | undefined,
  ) {}

  pmtuPath(minPmtu: number | undefined): void {
    this.paths++;
    if (minPmtu !== undefined) this.minPmtu = minPmtu;
  }

  /** Judges one observation of the route's MTU; false when the event does not show it. */
  observe(e: CanonicalEvent): boolean {
    const mtu = routeMtu(e);
    if (!e.rt) return false;
    if ('unknown' in mtu) {
      if (e.metrics !== undefined) this.rec.unchecked(INV, mtu.unknown);
      return false;
    }
    const prev = this.last.get(e.rt);
    // The metrics array itself: the word without its read-only bit.
    const arr = e.metrics?.replace(/[13579bdf]$/, (d) => (parseInt(d, 16) - 1).toString(16));
    if (prev) {
      if (mtu.value <= prev.mtu) this.rec.pass(INV);
      else if (arr === undefined || prev.metrics === undefined || arr !== prev.metrics) {
        this.rec.unchecked(INV, arr === undefined ? 'MTU rose; the route\'s metrics pointer not observed (a copy-on-write onto the peer\'s metrics cannot be ruled out)' : 'MTU rose with the metrics array switched (copy-on-write onto the peer\'s metrics)');
      } else if (prev.paths !== this.paths && (this.minPmtu === undefined || mtu.value === this.minPmtu)) {
        this.rec.unchecked(INV, this.minPmtu === undefined ? 'MTU rose; ip_rt_min_pmtu (whose floor can raise a small MTU) not observed' : 'MTU rose to ip_rt_min_pmtu (the floor)');
      } else {
        this.rec.fail(INV, e, `route MTU <= ${prev.mtu} (seen at line ${prev.line})`, `route MTU ${mtu.value}`, `route ${e.rt}'s MTU rose from ${prev.mtu} to ${mtu.value}`, this.historyOf(e.rt), e.rt);
      }
    }
    if (this.last.size >= MAX_ROUTES) this.last.clear();
    this.last.set(e.rt, { mtu: mtu.value, line: e.line, metrics: arr, paths: this.paths });
    return true;
  }

  /** A route destroyed: its pointer may come back as another route. */
  free(rt: string | undefined): void {
    if (rt) this.last.delete(rt);
  }

  clear(): void {
    this.last.clear();
  }
}
