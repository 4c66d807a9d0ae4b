/**
 * ip_rt_update_pmtu must run check_peer_pmtu on its route whenever the route has a peer, learned
 * or not (46af3180 "ipv4: Fix PMTU update": before it, a PMTU that ip_rt_frag_needed had already
 * learned never reached a TCP socket's route, which reads dst_mtu right after update_pmtu).
 *
 * Judged per call context: the update_pmtu entry (a `pmtu` event with `rt`), then the peer its
 * create=1 bind found, a `peer_pmtu` of that route, until the call's return (`genid_bump`) or the
 * context's next unrelated event. A missing check_peer_pmtu is a divergence only once the trace
 * has shown check_peer_pmtu inside some update_pmtu (its call there is then out of line and
 * probed); before that it is unchecked.
 */
import type { CanonicalEvent } from '../trace/events.ts';
import type { Recorder, Ring } from './coverage.ts';
import { isNullPtr } from './pmtu-state.ts';
import { own } from '../trace/columns/cursor.ts';

const INV = 'update-pmtu-runs-check-peer-pmtu';
const MAX_CONTEXTS = 1 << 14;

interface OpenUpdate {
  e: CanonicalEvent;
  rt: string;
  peer?: string;
  ran: boolean;
}

export class UpdatePmtuJudge {
  private readonly open = new Map<number, OpenUpdate | undefined>();
  private openCount = 0;
  /** check_peer_pmtu has been seen inside an update_pmtu: the probe sees that call site. */
  private seenInside = false;

  constructor(
    private readonly rec: Recorder,
    private readonly historyOf: (rt: string | undefined) => Ring | undefined,
  ) {}

  handle(e: CanonicalEvent, ctx: number): void {
    if (e.kind === 'pmtu' && e.rt !== undefined) {
      const prev = this.open.get(ctx);
      if (prev) this.close(prev, ctx);
      if (this.open.size >= MAX_CONTEXTS) for (const [k, v] of this.open) if (v === undefined) this.open.delete(k);
      this.open.set(ctx, { e: own(e), rt: e.rt, peer: e.peer && !isNullPtr(e.peer) ? e.peer : undefined, ran: false });
      this.openCount++;
      return;
    }
    if (this.openCount === 0) return;
    const u = this.open.get(ctx);
    if (!u) return;
    switch (e.kind) {
      case 'bind':
      case 'marker':
        return;
      case 'bind_ret':
      case 'peer_new':
        // The route's create=1 bind inside update_pmtu.
        if (e.peer && !isNullPtr(e.peer) && (e.rt === undefined || e.rt === u.rt)) u.peer ??= e.peer;
        return;
      case 'peer_pmtu':
        if (e.rt === undefined || e.rt === u.rt) {
          u.ran = true;
          this.seenInside = true;
          return;
        }
        return this.close(u, ctx);
      default:
        // The call's return (its genid after) or anything else the context does next.
        return this.close(u, ctx);
    }
  }

  private close(u: OpenUpdate, ctx: number): void {
    this.open.set(ctx, undefined);
    this.openCount--;
    if (!u.peer) return; // no peer (allocation failed, or not observed): nothing to apply
    if (u.ran) this.rec.pass(INV);
    else if (this.seenInside) {
      this.rec.fail(INV, u.e, `check_peer_pmtu on route ${u.rt} (peer ${u.peer})`, 'none before update_pmtu returned',
        `update_pmtu on route ${u.rt} did not run check_peer_pmtu: a PMTU its peer already holds never reaches the route`, this.historyOf(u.rt), u.rt);
    } else this.rec.unchecked(INV, 'check_peer_pmtu not yet seen inside an update_pmtu of this trace (not probed there, or inlined)');
  }

  gap(): void {
    this.open.clear();
    this.openCount = 0;
  }

  finish(): void {
    for (const [ctx, u] of this.open) {
      if (!u) continue;
      if (u.ran) this.close(u, ctx);
      else if (u.peer) this.rec.unchecked(INV, 'update_pmtu without its return at the end of the trace');
    }
  }
}
