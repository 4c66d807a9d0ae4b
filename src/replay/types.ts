import type { Era } from '../model/types.ts';
import type { ReplayStage } from './stage-rules.ts';
import type { CanonicalEvent, EventKind, TraceGap } from '../trace/events.ts';
import type { InvariantId } from '../core/invariants.ts';

export interface ReplayOptions {
  /** The era to replay under; detected from the events when absent. */
  era?: Era;
  /** How a given era was decided (the report's era line); default 'given (--era)'. */
  eraReason?: string;
  /** A hint used only when the events do not decide (e.g. the probe map's era). */
  eraHint?: Era;
  /**
   * pmtu-redirect: the stage of the 2.6.39-3.5 history (S2/S3 bump on every frag-needed/redirect,
   * S4/S5 on change; src/model/README.md). Default `unknown`: every stage's behaviour is allowed,
   * and what only the stage could decide is left unchecked (stage-rules.ts).
   */
  stage?: ReplayStage;
  /** Stop recording divergences after this many (they are still counted). Default 100. */
  maxDivergences?: number;
  /** Events kept per route for the history shown with a divergence. Default 6. */
  historySize?: number;
  /** Lost-event gaps (when not streaming from a reader that reports them itself). */
  gaps?: readonly TraceGap[];
  /** The reader's TraceReadStats.entryNeverFired (returns of those probes are not calls in progress). */
  entryNeverFired?: readonly string[];
  /** The trace's name, for reports when events do not carry one. */
  file?: string;
  /**
   * How column batches (Replay.pushColumns) are read: built into event objects, one batch at a
   * time ('objects', the default), or through one reused event object that replay copies only
   * where it keeps an event ('cursor'). Same report either way; 'objects' measured faster, as
   * replay keeps most events (route histories, open calls) and a copy costs what building does.
   */
  columns?: 'objects' | 'cursor';
}

export interface HistoryLine {
  file: string;
  line: number;
  text: string;
  /** Where the event ran (several CPUs/tasks may act on one route at once), when the trace says. */
  cpu?: number;
  pid?: number;
  /** Interrupt level the trace's flags showed (1 softirq, 2 hardirq, 3 NMI). */
  irq?: number;
}

export interface Divergence {
  file: string;
  line: number;
  /** The event at which the divergence shows. */
  event: CanonicalEvent;
  /** The invariant (same names as src/model/invariants.ts where one applies). */
  invariant: InvariantId;
  expected: string;
  observed: string;
  /** One sentence for the reader. */
  message: string;
  /** The route's previous events (oldest first), when a route is involved. */
  history: HistoryLine[];
  rt?: string;
}

export interface InvariantCoverage {
  name: InvariantId;
  description: string;
  checked: number;
  failed: number;
  /** Why some instances could not be checked, with counts. */
  unchecked: Record<string, number>;
}

export interface Coverage {
  events: number;
  eventsByKind: Partial<Record<EventKind, number>>;
  /** Events replay had no use for, by kind / reason. */
  ignored: Record<string, number>;
  /** Route lifetimes seen (a reused pointer counts again). */
  routes: number;
  checks: number;
  binds: number;
  flushes: number;
  /** Increments of the global peer genid (seed eras) or of namespace genids (modern) observed. */
  genidBumps: number;
  namespaces: number;
  gaps: number;
  /** Routes whose history crosses a gap (their checks needing the lost part were not checked). */
  incompleteRoutes: number;
  invariants: InvariantCoverage[];
}

export type Verdict = 'conformant' | 'divergent' | 'nothing-to-check';

export interface ReplayReport {
  file: string;
  era: Era;
  /** How the era was chosen, one sentence. */
  eraReason: string;
  /** pmtu-redirect: the stage judged by (`unknown` unless given). */
  stage?: ReplayStage;
  verdict: Verdict;
  /** Total divergences found (may exceed divergences.length when capped). */
  divergenceCount: number;
  divergences: Divergence[];
  coverage: Coverage;
  /** Reader statistics, when replayed from a file. */
  read?: unknown;
}
