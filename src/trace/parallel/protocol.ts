/**
 * Messages between the threaded reader (main thread, threaded.ts) and its worker (worker.ts).
 */
import type { TraceGap } from '../events.ts';
import type { OpenTraceOptions, TraceReadStats } from '../types.ts';
import type { ColumnBatch } from '../columns/batch.ts';

/** What the worker needs to open the trace itself (every field structured-cloneable). */
export interface WorkerJob {
  path: string;
  opts: Omit<OpenTraceOptions, 'input' | 'symbols'> & { symbols?: string };
  /** Events per message (the reader's batches are joined up to this many). */
  batchEvents: number;
  /** Messages posted and not yet taken by the main thread before the worker waits. */
  maxInflight: number;
}

/** The reader's statistics without the gaps (those travel as they are found: `gaps`). */
export type StatsWithoutGaps = Omit<TraceReadStats, 'gaps'>;

export type FromWorker =
  | {
      type: 'events';
      /** The reader's batches as columns, and how many gaps were known when each was yielded. */
      parts: ColumnBatch[];
      gapMarks: number[];
      /** Gaps found since the previous message. */
      gaps: TraceGap[];
      /** The statistics so far (not with every message: they are final with `end`). */
      stats: StatsWithoutGaps | undefined;
    }
  | { type: 'end'; gaps: TraceGap[]; stats: StatsWithoutGaps }
  | {
      type: 'error';
      /** A PeerpropError's parts (rebuilt as one on the main thread), or another error's message and stack. */
      message: string;
      exitCode?: number;
      location?: { file: string; line?: number; column?: number };
      stack?: string;
      /** The gaps found since the last message and the statistics when the reader stopped (absent when it never opened). */
      gaps: TraceGap[];
      stats?: StatsWithoutGaps;
    };

/** The main thread took a message off its queue (the worker may post another), and gives back its buffers. */
export interface ToWorker {
  buffers: ArrayBuffer[];
}
