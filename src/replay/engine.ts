/**
 * replay(): canonical events -> the era's checker -> a report (divergences, coverage, verdict).
 * Streaming: constant memory apart from the per-route records and the events held while the
 * era is being decided (at most ERA_WINDOW, only when the era is not given).
 */
import type { Era } from '../model/types.ts';
import type { CanonicalEvent, TraceGap } from '../trace/events.ts';
import { CacheEraReplayer } from './cache-era.ts';
import { Recorder } from './coverage.ts';
import { Losses } from './losses.ts';
import { eraSignal, type EraDecision } from './era.ts';
import { ModernReplayer } from './modern.ts';
import type { ReplayOptions, ReplayReport } from './types.ts';
import { ColumnCursor, own } from '../trace/columns/cursor.ts';
import { buildEvents, type ColumnBatch } from '../trace/columns/batch.ts';

/** Events held at most while looking for the era before falling back to the hint. */
const ERA_WINDOW = 50_000;

type Checker = { handle(e: CanonicalEvent): void; gap(from?: number): void; finish(): void };

export type EventSource = AsyncIterable<CanonicalEvent[]> | Iterable<CanonicalEvent> | AsyncIterable<CanonicalEvent>;

/** A streaming replayer: feed events (in trace order), gaps as they are known, then finish(). */
export class Replay {
  readonly rec: Recorder;
  private checker: Checker | undefined;
  private decision: EraDecision | undefined;
  private held: CanonicalEvent[] = [];
  private weak: EraDecision | undefined;
  private gaps: TraceGap[] = [];
  private gapIndex = 0;
  private file: string;
  private readonly historySize: number;
  /** The event object column batches are read through (pushColumns). */
  private readonly cursor = new ColumnCursor();

  constructor(private readonly opts: ReplayOptions = {}) {
    this.rec = new Recorder(opts.maxDivergences ?? 100);
    this.losses = new Losses(this.rec);
    this.historySize = opts.historySize ?? 6;
    this.file = opts.file ?? '';
    if (opts.gaps) this.gaps = [...opts.gaps].sort((a, b) => a.line - b.line);
    if (opts.era) this.decide({ era: opts.era, reason: opts.eraReason ?? 'given (--era)' });
  }

  private decide(d: EraDecision): void {
    this.decision = d;
    this.checker = d.era === 'fnhe' ? new ModernReplayer(this.rec, this.historySize) : new CacheEraReplayer(d.era, this.rec, this.historySize, this.opts.stage);
  }

  /** Gaps reported while reading (appended in line order). */
  addGaps(gaps: readonly TraceGap[]): void {
    for (const g of gaps) this.gaps.push(g);
  }

  push(e: CanonicalEvent): void {
    if (!this.file) this.file = e.file;
    this.rec.events++;
    this.rec.countKind(e.kind);
    if (!this.checker) {
      const d = this.againstMap(eraSignal(e));
      if (d?.weak) this.weak ??= d;
      else if (d) {
        this.decide(d);
        const held = this.held;
        this.held = [];
        for (const h of held) this.feed(h);
        this.feed(e);
        return;
      }
      this.held.push(own(e));
      if (this.held.length >= ERA_WINDOW) this.fallback();
      return;
    }
    this.feed(e);
  }

  /**
   * A batch of events as columns (a reader's columnBatches()). `table`: the string table the
   * batch's ids index, with the batch's own strings taken in. Read as ReplayOptions.columns says:
   * built into objects (default), or each row pushed through one reused event object, so nothing
   * is allocated for an event replay does not keep (own()).
   */
  pushColumns(b: ColumnBatch, table: readonly string[]): void {
    if (b.objects || this.opts.columns !== 'cursor') {
      for (const e of buildEvents(b, table)) this.push(e);
      return;
    }
    const c = this.cursor;
    const fill = c.at(b, table);
    const e = c.ev;
    const prev = c.enter();
    try {
      for (let i = 0; i < b.n; i++) {
        fill(i);
        c.row();
        this.push(e);
      }
    } finally {
      c.leave(prev);
    }
  }

  /**
   * A probe map is written for one kernel family (routing cache or next-hop exceptions): an event
   * that would decide the other family does not (a 6.1 trace cut after its first events may
   * begin with a PMTU update carrying the namespace genid, which reads like a 3.x path).
   */
  private againstMap(d: EraDecision | undefined): EraDecision | undefined {
    const hint = this.opts.eraHint;
    if (d === undefined || hint === undefined) return d;
    return (d.era === 'fnhe') === (hint === 'fnhe') ? d : undefined;
  }

  private fallback(): void {
    if (this.checker) return;
    if (this.weak) this.decide(this.weak);
    else if (this.opts.eraHint) this.decide({ era: this.opts.eraHint, reason: 'from the probe map (the events alone do not decide)' });
    else if (this.held.some((e) => e.kind === 'check' || e.kind === 'check_ret')) this.decide({ era: 'pmtu-redirect', reason: 'default: checks without era-specific fields' });
    else {
      // Nothing era-specific: nothing to replay; the events stay counted.
      this.held = [];
      return;
    }
    const held = this.held;
    this.held = [];
    for (const h of held) this.feed(h);
  }

  private feed(e: CanonicalEvent): void {
    while (this.gapIndex < this.gaps.length && this.gaps[this.gapIndex]!.line < e.line && this.gaps[this.gapIndex]!.file === e.file) {
      this.applyGap(this.gaps[this.gapIndex++]!);
    }
    this.rec.now = e.line;
    this.losses.before(e);
    this.checker!.handle(e);
    this.losses.after(e);
  }

  /** Lost events and calls begun before the capture (losses.ts). */
  private readonly losses: Losses;

  /** Events lost at `g`: what they may explain is taken back (losses.ts), then the checker forgets. */
  private applyGap(g: TraceGap): void {
    const from = this.losses.gap(g);
    this.rec.gaps++;
    this.checker!.gap(from);
  }

  /**
   * `read`: what the reader says of the whole trace (entryNeverFired: return probes whose entry
   * probe never fired, so their returns are not calls in progress).
   */
  finish(read: { entryNeverFired?: readonly string[] } = { entryNeverFired: this.opts.entryNeverFired }): ReplayReport {
    this.fallback();
    if (this.checker) {
      while (this.gapIndex < this.gaps.length) this.applyGap(this.gaps[this.gapIndex++]!);
      this.losses.beforeFinish();
      // Judgements made only now (what never came by the end) stand on their own lines.
      this.rec.now = undefined;
      const since = this.rec.failLogged;
      this.checker.finish();
      this.losses.afterFinish(since, read.entryNeverFired ?? []);
    }
    const divergenceCount = this.rec.divergenceCount;
    const verdict = divergenceCount > 0 ? 'divergent' : this.rec.totalChecked() === 0 ? 'nothing-to-check' : 'conformant';
    const divergences = [...this.rec.divergences].sort((a, b) => a.line - b.line);
    return {
      file: this.file || '(events)',
      era: this.decision?.era ?? this.opts.eraHint ?? 'pmtu-redirect',
      eraReason: this.decision?.reason ?? 'no event says which era: nothing to replay',
      ...(this.decision?.era === 'pmtu-redirect' ? { stage: this.opts.stage ?? 'unknown' } : {}),
      verdict,
      divergenceCount,
      divergences,
      coverage: this.rec.coverage(),
    };
  }
}

function isAsync<T>(x: unknown): x is AsyncIterable<T> {
  return typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

/** Replays a stream or list of canonical events (one trace). */
export async function replay(events: EventSource, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const r = new Replay(opts);
  if (isAsync<CanonicalEvent[] | CanonicalEvent>(events)) {
    for await (const x of events) {
      if (Array.isArray(x)) for (const e of x) r.push(e);
      else r.push(x);
    }
  } else for (const e of events) r.push(e);
  return r.finish();
}

/** Synchronous variant for arrays / generators (tests, the differential check, benchmarks). */
export function replaySync(events: Iterable<CanonicalEvent>, opts: ReplayOptions = {}): ReplayReport {
  const r = new Replay(opts);
  for (const e of events) r.push(e);
  return r.finish();
}

export type { Era };
