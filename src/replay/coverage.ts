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

/**
 * A failure a lost-events gap found later may take back: where it was reported, the line of the
 * event being replayed when it was judged (its evidence lies between the two), its invariant and
 * its divergence when one was kept.
 */
interface FailRecord {
  reported: number;
  /** The earliest line of the events the judgement stands on (the route's or the genid's history). */
  evidence: number;
  judgedAt: number;
  name: InvariantId;
  divergence: Divergence | undefined;
}

/** Failures kept for retraction; past this many, later ones are counted but cannot be taken back. */
const MAX_FAIL_LOG = 1 << 18;

/** The reason a retracted failure is counted as unchecked. */
export const LOST_EVENTS_MAY_EXPLAIN = 'events the trace does not show (lost by a CPU, or before the capture began) may explain it';

export class Recorder {
  readonly divergences: Divergence[] = [];
  divergenceCount = 0;
  /** The line of the event being replayed (the engine sets it; undefined while finishing). */
  now: number | undefined;
  /** Where the last lost events may have begun (the engine sets it at each gap; 0: the trace's start, which cuts calls too). */
  lossFrom = 0;
  /** The event being replayed is the return of a call that began before the trace or in lost events (the engine decides). */
  unseenCall = false;
  /** The line where the call of the event being replayed began (its context's first event since its last call; the engine sets it). */
  callStart: number | undefined;
  /** Failures a loss may take back (past MAX_FAIL_LOG, later ones cannot be). */
  private failLog: FailRecord[] = [];
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
    let d: Divergence | undefined;
    if (this.divergences.length < this.maxDivergences) {
      e = own(e);
      d = { file: e.file, line: e.line, event: e, invariant: name, expected, observed, message, history: historyOf(ring, e), rt };
      this.divergences.push(d);
    }
    let evidence = Math.min(e.line, this.now === undefined ? e.line : (this.callStart ?? e.line));
    if (ring) for (const h of ring.items()) if (h.line < evidence) evidence = h.line;
    this.logFailure(name, e.line, d, evidence);
  }

  /** A failure counted without details (beyond what is kept); `line`: the event it is reported at. */
  failCount(name: InvariantId, line?: number): void {
    const c = this.entry(name);
    c.checked++;
    c.failed++;
    this.divergenceCount++;
    const at = line ?? this.now ?? 0;
    this.logFailure(name, at, undefined, this.now === undefined ? at : Math.min(at, this.callStart ?? at));
  }

  private logFailure(name: InvariantId, reported: number, divergence: Divergence | undefined, evidence: number): void {
    if (this.failLog.length >= MAX_FAIL_LOG) return;
    this.failLog.push({ reported, evidence, judgedAt: this.now ?? reported, name, divergence });
  }

  /**
   * Events were lost between line `from` (exclusive: the last line the losing CPU printed before
   * them; 0 when unknown) and the gap's line `to`, which the replay has just reached: a failure
   * whose evidence (from the line it is reported at to the line it was judged at) reaches into
   * that window may be explained by them. It is taken back: counted as unchecked with that
   * reason, its divergence dropped. Every failure logged so far was judged before `to` (events
   * come in line order), so those to take back are the ones judged after `from`: a suffix of the
   * log, found by binary search. Returns how many were taken back.
   */
  retract(from: number, to: number): number {
    const log = this.failLog;
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.judgedAt > from) hi = mid;
      else lo = mid + 1;
    }
    // (A failure is reported at an event already replayed: reported <= judgedAt.)
    return this.takeBack(lo, (f) => !(Math.min(f.evidence, f.reported) < to && f.judgedAt > from));
  }

  /**
   * Failures (from index `since` of the log) whose evidence reaches into any of `windows`
   * ((from, to) lines: lost events, or calls in progress unseen), taken back as retract() does.
   */
  retractWindows(windows: readonly (readonly [number, number])[], since = 0): number {
    if (windows.length === 0 || this.failLog.length <= since) return 0;
    // The windows' union, sorted: a failure [lo, hi] meets it iff the last interval starting
    // before hi ends after lo.
    const sorted = [...windows].sort((a, b) => a[0] - b[0]);
    const union: [number, number][] = [];
    for (const [from, to] of sorted) {
      const last = union[union.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else union.push([from, to]);
    }
    const meets = (f: FailRecord): boolean => {
      const lo = Math.min(f.evidence, f.reported, f.judgedAt);
      const hi = Math.max(f.reported, f.judgedAt);
      let a = 0;
      let b = union.length;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (union[m]![0] < hi) a = m + 1;
        else b = m;
      }
      return a > 0 && union[a - 1]![1] > lo;
    };
    return this.takeBack(since, (f) => !meets(f));
  }

  /** The index the next failure will be logged at (retractWindows' `since`). */
  get failLogged(): number {
    return this.failLog.length;
  }

  /** Takes back the failures from index `since` that `keep` rejects. */
  private takeBack(since: number, keep: (f: FailRecord) => boolean): number {
    const log = this.failLog;
    const kept = log.slice(0, since);
    const gone = new Set<Divergence>();
    for (let i = since; i < log.length; i++) {
      const f = log[i]!;
      if (keep(f)) {
        kept.push(f);
        continue;
      }
      const c = this.entry(f.name);
      c.checked--;
      c.failed--;
      this.divergenceCount--;
      c.unchecked[LOST_EVENTS_MAY_EXPLAIN] = (c.unchecked[LOST_EVENTS_MAY_EXPLAIN] ?? 0) + 1;
      if (f.divergence) gone.add(f.divergence);
    }
    const n = log.length - kept.length;
    if (n === 0) return 0;
    this.failLog = kept;
    if (gone.size > 0) {
      const left = this.divergences.filter((d) => !gone.has(d));
      this.divergences.length = 0;
      for (const d of left) this.divergences.push(d);
    }
    return n;
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
