/**
 * The threaded reader: a regular file is read, parsed and paired by a worker thread (worker.ts,
 * the ordinary streaming reader) while the main thread builds the event objects from the columns
 * it receives and its caller (replay) consumes them: reading and replaying run on two cores.
 *
 * It yields the same batches, events and statistics as the single-thread reader: the worker runs
 * that reader, and its batches keep their boundaries, with the gaps known when each was yielded
 * (replay takes them before the batch). Statistics other than the gaps are there before the first
 * batch, refreshed now and then while reading, and final when the iteration ends. Errors
 * are the reader's own (`file:line: message`), raised after the events before them were yielded.
 *
 * Standard input, streams given by the caller and small files stay on the calling thread
 * (openTrace decides with threadedEligible).
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PeerpropError, type ExitCode } from '../../core/errors.ts';
import type { CanonicalEvent } from '../events.ts';
import type { OpenTraceOptions, TraceReadStats, TraceReader } from '../types.ts';
import { emptyStats } from '../read-stats.ts';
import { BatchDecoder, transferables, type ColumnPart } from '../columns/batch.ts';
import type { FromWorker, ToWorker, WorkerJob } from './protocol.ts';

/** Below this size a worker's start-up (loading the reader again) costs more than it saves. */
export const THREADED_MIN_BYTES = 32 << 20;

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

export interface ThreadedOptions {
  /** Events per message from the worker (default 2048; 1 posts every batch of the reader alone). */
  batchEvents?: number;
  /** Messages the worker may post ahead of the consumer (default 4: memory stays bounded). */
  maxInflight?: number;
}

/**
 * Whether openTrace reads this input on a worker thread: a regular file, with options a worker
 * can be given, when asked (`threads: true`, or PEERPROP_TRACE_THREADS=1 for files of at least
 * THREADED_MIN_BYTES on a machine with more than one core; `threads: false` never).
 *
 * Not the default: both threads build every event object (the worker to read and pair, the main
 * thread from the columns), so the process does about twice the CPU work of one thread, and on
 * a machine whose cores are all busy (measured on 2 shared cores) it is no faster. It pays where
 * a core is free: the main thread then only builds events and replays.
 */
export function threadedEligible(path: string, opts: OpenTraceOptions): boolean {
  if (opts.threads === false) return false;
  if (opts.input !== undefined || path === '-' || (opts.symbols !== undefined && typeof opts.symbols !== 'string')) return false;
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return false;
    size = st.size;
  } catch {
    return false; // the single-thread reader reports it
  }
  if (opts.threads !== true && !(process.env.PEERPROP_TRACE_THREADS === '1' && size >= THREADED_MIN_BYTES && availableParallelism() >= 2)) return false;
  try {
    structuredClone([opts.probeMap, opts.candidateMaps]);
  } catch {
    return false;
  }
  return true;
}

export function openThreaded(path: string, opts: OpenTraceOptions, topts: ThreadedOptions = {}): TraceReader {
  const { input: _input, symbols, ...rest } = opts;
  const job: WorkerJob = {
    path,
    opts: { ...rest, symbols: typeof symbols === 'string' ? symbols : undefined },
    batchEvents: topts.batchEvents ?? 2048,
    maxInflight: topts.maxInflight ?? 4,
  };
  return new ThreadedReader(opts.name ?? path, job);
}

class ThreadedReader implements TraceReader {
  readonly stats: TraceReadStats;
  private used = false;

  constructor(readonly file: string, private readonly job: WorkerJob) {
    this.stats = emptyStats(file);
  }

  async *events(): AsyncIterable<CanonicalEvent> {
    for await (const b of this.batches()) yield* b;
  }

  async *batches(): AsyncIterable<CanonicalEvent[]> {
    for await (const b of this.run(false)) yield b as CanonicalEvent[];
  }

  /** The batches as the worker sent them, not built into objects (each valid until the next is asked for). */
  columnBatches(): AsyncIterable<ColumnPart> {
    return this.run(true) as AsyncIterable<ColumnPart>;
  }

  private async *run(columns: boolean): AsyncGenerator<CanonicalEvent[] | ColumnPart> {
    if (this.used) throw new Error('TraceReader.batches() can be iterated once');
    this.used = true;
    // Explicit execArgv: vitest / tsx flags of the parent are not meant for the worker.
    const worker = new Worker(BOOT, { workerData: this.job, execArgv: [] });
    const queue: FromWorker[] = [];
    let failed: Error | undefined;
    let notify: (() => void) | undefined;
    const wakeUp = (): void => {
      const n = notify;
      notify = undefined;
      n?.();
    };
    worker.on('message', (m: FromWorker) => {
      queue.push(m);
      wakeUp();
    });
    worker.on('error', (e) => {
      failed = e;
      wakeUp();
    });
    worker.on('exit', (code) => {
      failed ??= new Error(`the trace reader's worker thread stopped (exit code ${code}) before the end of the trace`);
      wakeUp();
    });
    const dec = new BatchDecoder();
    const st = this.stats;
    try {
      for (;;) {
        if (queue.length === 0) {
          if (failed) throw failed;
          await new Promise<void>((res) => (notify = res));
          continue;
        }
        const m = queue.shift()!;
        if (m.type === 'error') {
          if (m.stats) Object.assign(st, m.stats);
          for (const g of m.gaps) st.gaps.push(g);
          throw rebuildError(m);
        }
        if (m.type === 'end') {
          Object.assign(st, m.stats);
          for (const g of m.gaps) st.gaps.push(g);
          return;
        }
        if (m.stats) Object.assign(st, m.stats);
        const built = m.parts.map((p): CanonicalEvent[] | ColumnPart => {
          if (!columns) return dec.decode(p);
          dec.accept(p);
          return { batch: p, table: dec.strings };
        });
        // The columns' buffers go back to the worker, which fills them again: once built, or
        // once the consumer has had every part (it reads them in place).
        const buffers = m.parts.flatMap(transferables);
        if (!columns) worker.postMessage({ buffers } satisfies ToWorker, buffers);
        let g = 0;
        for (let k = 0; k < built.length; k++) {
          // The gaps the reader knew when it yielded this batch go before it (replay takes them first).
          const known = m.gapMarks[k]!;
          while (g < m.gaps.length && st.gaps.length < known) st.gaps.push(m.gaps[g++]!);
          yield built[k]!;
        }
        while (g < m.gaps.length) st.gaps.push(m.gaps[g++]!);
        if (columns) worker.postMessage({ buffers } satisfies ToWorker, buffers);
      }
    } finally {
      await worker.terminate();
    }
  }
}

function rebuildError(m: Extract<FromWorker, { type: 'error' }>): Error {
  if (m.exitCode !== undefined) return new PeerpropError(m.message, m.exitCode as ExitCode, m.location);
  const e = new Error(`trace reader (worker thread): ${m.message}`);
  if (m.stack) e.stack = m.stack;
  return e;
}
