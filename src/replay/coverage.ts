/**
 * Bookkeeping shared by the era checkers: invariant counters, divergences with route history.
 * Everything here is O(1) per call.
 */
import type { CanonicalEvent, EventKind } from '../trace/events.ts';
import type { Coverage, Divergence, HistoryLine, InvariantCoverage } from './types.ts';
import { INVARIANTS } from '../model/invariants.ts';
import type { InvariantId } from '../core/invariants.ts';
import { own } from '../trace/columns/cursor.ts';

/** The model's sentence for an invariant replay checks under the same name. */
const MODEL_INVARIANT_TEXT = new Map<InvariantId, string>(INVARIANTS.map((i) => [i.name, i.description]));

/** The invariants replay checks, with the sentence shown in coverage. */
export const REPLAY_INVARIANTS: Partial<Record<InvariantId, string>> = {
  'genid-steps-by-one-per-bump': 'The global peer genid moves only in the bump paths (frag_needed, redirect, update_pmtu learning), by +1 per bump.',
  'flush-keeps-peer-genid': 'A route cache flush never moves the global peer genid.',
  'check-restamps': "After a successful check the route's rt_peer_genid equals the global genid.",
  'current-check-is-noop': 'A check of a route whose genid is current looks nothing up and changes nothing.',
  'slow-path-looks-up-peer': 'A check of a peerless route with a stale genid does one lookup-only bind before returning.',
  'check-binds-only-peerless': 'A check never binds a route that already holds a peer.',
  'check-bind-is-lookup-only': "The check's bind uses create=0.",
  'lookup-only-never-creates-peer': 'A lookup-only bind (create=0) never produces a peer that did not exist.',
  'bind-never-replaces-peer': 'A route keeps the same peer from the moment it gets one until it is destroyed.',
  'slow-path-attaches-existing-peer': "The check's bind result is what the route holds afterwards.",
  'route-genid-changes-only-by-stamp': "A route's rt_peer_genid changes only when something stamps it (a bind, a check, update_pmtu).",
  'new-route-stamp': 'A new route starts at rt_peer_genid 0 unless it took an existing peer at creation (then the current genid); the seed stamps always.',
  'expired-route-fails': 'A flushed/expired route (obsolete=2, or created before an observed flush) fails its check.',
  'check-returns-its-route': 'A successful check returns the dst it was given.',
  'update-pmtu-prestamps-route': 'update_pmtu that learns bumps the genid once and stamps the calling route.',
  'check-fails-iff-stale': 'Modern dst_check returns NULL exactly when obsolete != FORCE_CHK (-1) or rt_genid != the namespace rt_genid.',
  'new-route-current-genid': "A new modern route carries its namespace's current rt_genid and obsolete FORCE_CHK.",
  'route-genid-fixed-at-creation': "A modern route's rt_genid never changes after creation.",
  'netns-genid-monotonic': "A namespace's rt_genid only grows (+1 per flush); a flush is followed by a larger value.",
  'new-exception-kills-nexthop-routes': 'A new next-hop exception KILLs the next hop cached route the update came through: its next check fails.',
  'exception-applied-to-new-route': "A route created with a current exception carries the exception's PMTU; a stale exception (old fnhe_genid) is not applied.",
};

export class Ring {
  private readonly buf: (CanonicalEvent | undefined)[];
  private n = 0;
  constructor(size: number) {
    this.buf = new Array(size);
  }
  push(e: CanonicalEvent): void {
    // Kept beyond this call: a reused cursor's row is copied (once per row, so the test below holds).
    e = own(e);
    // The same event twice in a row (observed through two of its fields) is kept once.
    if (this.n > 0 && this.buf[(this.n - 1) % this.buf.length] === e) return;
    this.buf[this.n % this.buf.length] = e;
    this.n++;
  }
  /** Oldest first. */
  items(): CanonicalEvent[] {
    const out: CanonicalEvent[] = [];
    const size = this.buf.length;
    for (let i = Math.max(0, this.n - size); i < this.n; i++) out.push(this.buf[i % size]!);
    return out;
  }
}

const FIELD_ORDER: (keyof CanonicalEvent)[] = [
  'rt', 'daddr', 'create', 'peerBefore', 'peer', 'rtGenid', 'genid', 'ret', 'old', 'new', 'counter', 'mtu', 'gateway', 'oldGateway',
  'rtMtu', 'rtGateway', 'flags', 'obsolete', 'net', 'fnheGenid', 'exceptionGenid', 'caller', 'text',
];

/** One line per event: `kind probe field=value ...` with the fields the event has. */
export function describeEvent(e: CanonicalEvent): string {
  let s = e.kind;
  if (e.probe && e.probe !== e.kind) s += ` (${e.probe})`;
  for (const k of FIELD_ORDER) {
    const v = e[k];
    if (v === undefined) continue;
    s += ` ${k}=${typeof v === 'string' && k === 'text' ? JSON.stringify(v) : v}`;
  }
  return s;
}

export function historyOf(ring: Ring | undefined, exclude?: CanonicalEvent): HistoryLine[] {
  if (!ring) return [];
  return ring
    .items()
    .filter((e) => e !== exclude && !(exclude && e.line === exclude.line && e.kind === exclude.kind && e.file === exclude.file))
    .map((e) => {
      const h: HistoryLine = { file: e.file, line: e.line, text: describeEvent(e) };
      if (e.cpu !== undefined) h.cpu = e.cpu;
      if (e.pid !== undefined) h.pid = e.pid;
      if (e.irq !== undefined && e.irq > 0) h.irq = e.irq;
      return h;
    });
}

export class Recorder {
  readonly divergences: Divergence[] = [];
  divergenceCount = 0;
  private readonly inv = new Map<InvariantId, InvariantCoverage>();
  /** Events by kind, in order of first appearance (a Map: a keyed store per event on a growing object is slow). */
  /** Count per kind, in first-seen order (a boxed count: one Map lookup per event, no set). */
  private readonly kinds = new Map<EventKind, { n: number }>();
  readonly ignored: Record<string, number> = {};
  events = 0;
  routes = 0;
  checks = 0;
  binds = 0;
  flushes = 0;
  genidBumps = 0;
  namespaces = 0;
  gaps = 0;
  incompleteRoutes = 0;

  constructor(private readonly maxDivergences: number) {}

  private entry(name: InvariantId): InvariantCoverage {
    let c = this.inv.get(name);
    if (!c) {
      c = { name, description: REPLAY_INVARIANTS[name] ?? MODEL_INVARIANT_TEXT.get(name) ?? name, checked: 0, failed: 0, unchecked: {} };
      this.inv.set(name, c);
    }
    return c;
  }

  pass(name: InvariantId): void {
    this.entry(name).checked++;
  }

  unchecked(name: InvariantId, reason: string): void {
    const c = this.entry(name);
    c.unchecked[reason] = (c.unchecked[reason] ?? 0) + 1;
  }

  fail(name: InvariantId, e: CanonicalEvent, expected: string, observed: string, message: string, ring?: Ring, rt?: string): void {
    const c = this.entry(name);
    c.checked++;
    c.failed++;
    this.divergenceCount++;
    if (this.divergences.length >= this.maxDivergences) return;
    e = own(e);
    this.divergences.push({ file: e.file, line: e.line, event: e, invariant: name, expected, observed, message, history: historyOf(ring, e), rt });
  }

  /** A failure counted without details (beyond what is kept). */
  failCount(name: InvariantId): void {
    const c = this.entry(name);
    c.checked++;
    c.failed++;
    this.divergenceCount++;
  }

  countKind(kind: EventKind): void {
    const c = this.kinds.get(kind);
    if (c !== undefined) c.n++;
    else this.kinds.set(kind, { n: 1 });
  }

  get eventsByKind(): Partial<Record<EventKind, number>> {
    const out: Partial<Record<EventKind, number>> = {};
    for (const [k, c] of this.kinds) out[k] = c.n;
    return out;
  }

  ignore(reason: string): void {
    this.ignored[reason] = (this.ignored[reason] ?? 0) + 1;
  }

  totalChecked(): number {
    let n = 0;
    for (const c of this.inv.values()) n += c.checked;
    return n;
  }

  coverage(): Coverage {
    return {
      events: this.events,
      eventsByKind: this.eventsByKind,
      ignored: this.ignored,
      routes: this.routes,
      checks: this.checks,
      binds: this.binds,
      flushes: this.flushes,
      genidBumps: this.genidBumps,
      namespaces: this.namespaces,
      gaps: this.gaps,
      incompleteRoutes: this.incompleteRoutes,
      invariants: [...this.inv.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  }
}
