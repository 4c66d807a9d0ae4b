/**
 * Calls that overlap in time on several CPUs/tasks, for the routing-cache eras' replay.
 *
 * A probe reads the route at the call's entry; the kernel's C reads it again a moment later, and
 * the return probe reads it after the C is done. On several CPUs, another CPU may act on the same
 * route in between. The kernel really has these outcomes, and replay must allow them, but only
 * where the trace shows such an overlapping call (otherwise the strict check holds):
 *
 * - the stale entry read: B's entry probe saw rt_peer_genid stale, then CPU A's check or bind
 *   stamped the route before B's compare: B takes the fast path and binds nothing;
 * - the lost cmpxchg: A and B both take the slow path of a peerless route and look the peer up;
 *   one cmpxchg installs its peer, the loser puts its own and keeps the winner's (its bind does
 *   not stamp; its check still re-stamps). The route ends with a peer that B's own lookup may not
 *   have returned (B found none, A found the peer an instant later);
 * - the peer installed first: A binds the route between B's entry and B's `!rt->peer` test: B
 *   binds nothing;
 * - the genid moving on: another CPU bumps the global genid between B's compare and B's stamp
 *   (B binds on a path its entry read as current), or between B's stamp and B's return probe (B
 *   returns with a genid one or more bumps behind);
 * - entry reads behind the trace order: B's entry probe read the route before A's stamp or bind
 *   that the trace prints first (the two CPUs' buffers are merged by timestamp, and a probe
 *   reads its fields after taking its timestamp): the route's peer or genid seem to go back
 *   while A's call on the route is still open.
 *
 * `Window` is one call (a check, or a bind that names its route) on one route in one context;
 * `Overlaps` keeps the open windows per route and marks them when another context touches the
 * route or moves the genid. Everything is O(open calls on that route) per event.
 */

export interface Window {
  readonly ctx: number;
  readonly route: string;
  /** Another context had a call on this route open at some moment of this window, or acted on it. */
  overlapped: boolean;
  /** The global genid moved during this window through another context's bump path. */
  gMovedByOther: boolean;
  /** ... or through this context's own path (an interrupt nested in the call). */
  gMovedBySelf: boolean;
  open: boolean;
  /** Its place in Overlaps' list of open windows (while open). */
  slot: number;
}

/** Routes whose (empty) list of open windows is kept for reuse; past this many the empty ones are dropped. */
const MAX_ROUTE_LISTS = 1 << 14;

export class Overlaps {
  /** Open windows by route; a list that empties stays (no Map delete per call), pruned when many. */
  private readonly byRoute = new Map<string, Window[]>();
  /** Every open window, in no particular order (a window knows its slot: O(1) removal). */
  private all: Window[] = [];

  /** A call on `route` starts in context `ctx`. */
  open(route: string, ctx: number): Window {
    const w: Window = { ctx, route, overlapped: false, gMovedByOther: false, gMovedBySelf: false, open: true, slot: this.all.length };
    let list = this.byRoute.get(route);
    if (!list) {
      if (this.byRoute.size >= MAX_ROUTE_LISTS) for (const [r, l] of this.byRoute) if (l.length === 0) this.byRoute.delete(r);
      this.byRoute.set(route, (list = []));
    }
    for (const o of list) {
      if (o.ctx !== ctx) {
        o.overlapped = true;
        w.overlapped = true;
      }
    }
    list.push(w);
    this.all.push(w);
    return w;
  }

  /** The call is over. */
  close(w: Window): void {
    if (!w.open) return;
    w.open = false;
    const last = this.all.pop()!;
    if (last !== w) {
      this.all[w.slot] = last;
      last.slot = w.slot;
    }
    const list = this.byRoute.get(w.route);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
  }

  /** Context `ctx` acted on `route` (a bind, a stamp, a check): the other contexts' open calls on it overlap. */
  touch(route: string, ctx: number): void {
    const list = this.byRoute.get(route);
    if (!list) return;
    for (const o of list) if (o.ctx !== ctx) o.overlapped = true;
  }

  /** Does another context have a call open on `route`? */
  othersOpen(route: string, ctx: number): boolean {
    const list = this.byRoute.get(route);
    if (!list) return false;
    for (const o of list) if (o.ctx !== ctx) return true;
    return false;
  }

  /** The global genid moved through a path of context `ctx`. */
  genidMoved(ctx: number | undefined): void {
    for (const w of this.all) {
      if (ctx !== undefined && w.ctx === ctx) w.gMovedBySelf = true;
      else w.gMovedByOther = true;
    }
  }

  /** Lost events: nothing is known to be open any more. */
  reset(): void {
    for (const w of this.all) w.open = false;
    this.all = [];
    this.byRoute.clear();
  }
}
