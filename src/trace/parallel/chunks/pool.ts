/**
 * Who reads which chunk: the chunks are planned in order (Planner: each ends just after the
 * first newline from its nominal size on), given to the worker threads as they become free, at
 * most `maxAhead` beyond the one the consumer takes; a chunk no worker has taken when the
 * consumer needs it (the workers are still starting) is read by the main thread itself. Every
 * chunk's lines are counted first (lines.ts), so each reader knows the number of its first line.
 *
 * LocalPool does what the workers do (a warm-up, columns) on the calling thread, one chunk at a
 * time: for tests of the chunking itself, without threads.
 */
import { Worker } from 'node:worker_threads';
import type { CanonicalEvent } from '../../events.ts';
import { BatchDecoder, BatchEncoder, transferables, type ColumnBatch } from '../../columns/batch.ts';
import { type ChunkParser, rebuildError, type ChunkResult, type ChunkSetup, type ChunkSpan } from './parse.ts';
import { EMPTY_CARRY } from './carry.ts';
import type { ChunkWorkerData, FromChunkWorker, ToChunkWorker } from './protocol.ts';
import { LineNumbers, SharedLineCounts } from './lines.ts';

const BOOT = new URL('./worker-boot.mjs', import.meta.url);
/** PEERPROP_TRACE_DEBUG=chunks: a line per chunk on stderr (who read it, how long, read again or not). */
export const DEBUG = (process.env.PEERPROP_TRACE_DEBUG ?? '').split(',').includes('chunks');

/** A chunk as read by a worker: its events as columns (of that worker's string table) and its result. */
export interface Done {
  parts: ColumnBatch[];
  result: ChunkResult;
  worker: number;
}

export interface ChunkPool {
  /** Chunk k (undefined past the file's end), with its worker's reading; without one, the caller reads it. */
  next(k: number): Promise<{ span: ChunkSpan; done?: Done } | undefined>;
  /** The lines of chunk k, which the caller reads itself. */
  counted(k: number, lines: number): void;
  firstLine(k: number): number;
  /** Chunk k is taken: more may be read ahead. */
  consumed(k: number): void;
  /** Each worker's string table (its batches' strings are taken in order: BatchDecoder.accept). */
  readonly decoders: readonly BatchDecoder[];
  /** The parts' events are built: their buffers may be filled again. */
  giveBack(worker: number, parts: ColumnBatch[]): void;
  close(): Promise<void>;
}

/** The chunks' spans, planned in order. */
export class Planner {
  private readonly spans: ChunkSpan[] = [];

  constructor(private readonly parser: ChunkParser, private readonly size: number, private readonly chunkBytes: number) {}

  /** Chunk k's span (planning those before it), undefined past the end. */
  span(k: number): ChunkSpan | undefined {
    while (this.spans.length <= k) {
      const prev = this.spans[this.spans.length - 1];
      if (prev?.last) return undefined;
      const start = prev ? prev.end : 0;
      const end = this.boundary(start);
      this.spans.push({ k: this.spans.length, start, end, last: end >= this.size });
    }
    return this.spans[k];
  }

  private boundary(start: number): number {
    let pos = start + this.chunkBytes - 1;
    while (pos < this.size) {
      const buf = this.parser.read(pos, Math.min(1 << 16, this.size - pos));
      const nl = buf.indexOf(10);
      if (nl !== -1) return pos + nl + 1;
      pos += buf.length;
    }
    return this.size;
  }
}

const MAIN = -1;
/**
 * Chunks given to a worker at once. One: a worker counts a chunk's lines when it is given it, and
 * a second chunk queued behind the one it reads would keep the readers of the chunks after it
 * waiting for its count.
 */
const DEPTH = 1;

export class WorkerPool implements ChunkPool {
  private readonly workers: Worker[] = [];
  readonly decoders: BatchDecoder[] = [];
  /** Chunks given to each worker and not yet posted back; -1 until it has started. */
  private readonly load: number[] = [];
  /** Who reads each chunk given out (a worker, or MAIN). */
  private readonly ownerOf: number[] = [];
  private readonly lines: SharedLineCounts;
  private readonly results = new Map<number, Done>();
  private taken = 0;
  private failed: Error | undefined;
  private notify: (() => void) | undefined;

  constructor(
    setup: ChunkSetup, n: number, batchEvents: number, private readonly planner: Planner,
    private readonly warmBytes: number, private readonly maxAhead: number, private readonly mainHelps: boolean,
    maxChunks: number,
  ) {
    this.lines = new SharedLineCounts(maxChunks);
    for (let i = 0; i < n; i++) {
      const data: ChunkWorkerData = { setup, batchEvents, counts: this.lines.counts };
      const w = new Worker(BOOT, { workerData: data, execArgv: [] });
      w.on('message', (m: FromChunkWorker) => this.message(i, m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => this.fail(new Error(`a worker thread of the chunked trace reader stopped (exit code ${code})`)));
      this.workers.push(w);
      this.decoders.push(new BatchDecoder());
      this.load.push(-1);
    }
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.wake();
  }

  private wake(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  private send(w: number, m: ToChunkWorker, transfer: ArrayBuffer[] = []): void {
    this.workers[w]!.postMessage(m, transfer);
  }

  /** Give the started workers the next chunks (the least busy first), as far as the read-ahead bound allows. */
  private dispatch(): void {
    for (;;) {
      let w = -1;
      for (let i = 0; i < this.load.length; i++) if (this.load[i]! >= 0 && this.load[i]! < DEPTH && (w < 0 || this.load[i]! < this.load[w]!)) w = i;
      if (w < 0) return;
      const k = this.ownerOf.length;
      if (k - this.taken >= this.maxAhead) return;
      let span: ChunkSpan | undefined;
      try {
        span = this.planner.span(k);
      } catch (e) {
        // Planning reads the file (the file cut short while read): called from a worker's
        // message, the error would be lost and the consumer left waiting; it gets it instead.
        this.fail(e as Error);
        return;
      }
      if (!span) return;
      this.ownerOf[k] = w;
      this.load[w]!++;
      this.send(w, { type: 'chunk', span, warmBytes: this.warmBytes });
    }
  }

  private message(w: number, m: FromChunkWorker): void {
    if (m.type === 'ready') {
      this.load[w] = 0;
      this.dispatch();
    } else if (m.type === 'done') {
      if (DEBUG) process.stderr.write(`chunks: chunk ${m.k} read by worker ${w} in ${m.ms.toFixed(0)} ms, ${m.parts.reduce((n, p) => n + p.n, 0)} events\n`);
      this.results.set(m.k, { parts: m.parts, result: m.result, worker: w });
      this.load[w]!--;
      this.dispatch();
      this.wake();
    } else this.fail(rebuildError(m.error));
  }

  async next(k: number): Promise<{ span: ChunkSpan; done?: Done } | undefined> {
    // The workers' messages (started, done) are taken in first: a consumer that never waits for
    // I/O would otherwise keep this thread in microtasks, and the workers without new chunks.
    await new Promise<void>((res) => setImmediate(res));
    for (;;) {
      if (this.failed) throw this.failed;
      const r = this.results.get(k);
      if (r) {
        this.results.delete(k);
        return { span: this.planner.span(k)!, done: r };
      }
      if (this.ownerOf[k] === undefined) {
        const span = this.planner.span(k);
        if (!span) return undefined;
        this.dispatch();
        if (this.ownerOf[k] === undefined && this.mainHelps) {
          // No worker has started yet: this thread reads it.
          this.ownerOf[k] = MAIN;
          return { span };
        }
      }
      await new Promise<void>((res) => (this.notify = res));
    }
  }

  counted(k: number, lines: number): void {
    SharedLineCounts.store(this.lines.counts, k, lines);
  }

  firstLine(k: number): number {
    // Chunks are taken in order: those before k are counted.
    return SharedLineCounts.firstLine(this.lines.counts, k);
  }

  consumed(k: number): void {
    this.taken = k + 1;
    this.dispatch();
  }

  giveBack(w: number, parts: ColumnBatch[]): void {
    const buffers = parts.flatMap(transferables);
    if (buffers.length) this.send(w, { type: 'buffers', buffers }, buffers);
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.removeAllListeners('exit');
    SharedLineCounts.stop(this.lines.counts);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The workers' reading on this thread, one chunk at a time (tests). */
export class LocalPool implements ChunkPool {
  private readonly enc = new BatchEncoder();
  readonly decoders = [new BatchDecoder()];
  private readonly lines = new LineNumbers();

  constructor(private readonly parser: ChunkParser, private readonly planner: Planner, private readonly warmBytes: number, private readonly batchEvents: number) {}

  async next(k: number): Promise<{ span: ChunkSpan; done?: Done } | undefined> {
    const span = this.planner.span(k);
    if (!span) return undefined;
    this.lines.count(k, this.parser.countLines(span.start, span.end));
    const parts: ColumnBatch[] = [];
    let pending: CanonicalEvent[] = [];
    const result = this.parser.run(span, this.lines.first(k)!, k === 0 ? EMPTY_CARRY : { warmBytes: this.warmBytes }, (evs) => {
      for (const e of evs) pending.push(e);
      if (pending.length >= this.batchEvents) {
        parts.push(this.enc.encode(pending));
        pending = [];
      }
    });
    if (pending.length) parts.push(this.enc.encode(pending));
    // As it crosses threads: the result is a copy.
    return { span, done: { parts, result: structuredClone(result), worker: 0 } };
  }

  counted(k: number, lines: number): void {
    this.lines.count(k, lines);
  }

  firstLine(k: number): number {
    return this.lines.first(k)!;
  }

  consumed(): void {}

  giveBack(): void {}

  async close(): Promise<void> {}
}
