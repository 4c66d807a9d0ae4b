/**
 * The chunked reader: a regular file of ftrace or trace-cmd text is split at line boundaries into
 * chunks of a few MB, read by several worker threads at once, and its events are yielded in
 * order on the main thread, with the statistics one reader of the whole file would have made.
 *
 * Exact by construction, whatever the chunk size. A worker reads the lines just before its chunk
 * first (the warm-up; its events and counts are thrown away) to find the calls open where the
 * chunk starts; the main thread takes the chunk only if that state is the state the previous
 * chunk ended with (carry.ts), and else reads the chunk again itself from the true state (a call
 * open longer than the warm-up, lines the warm-up could not read). Line numbers are absolute:
 * each reader counts its chunk's lines first, and adds up those of the chunks before it. The
 * counts are merged in chunk order (stats.ts). What no merge can reproduce is detected, and the
 * rest of the file is then read by one reader from the file's start (its events before the
 * chunk dropped, its statistics taken whole): a call-context table that overflows (more than
 * MAX_TASKS contexts since the last gap: the single reader clears it then), or a chunk with more
 * distinct unknown or unmatched names than a reader keeps (counted as "(other)"), or more
 * refused or registered probes than it lists.
 *
 * Input errors are raised after the chunk's events before them, the first one in chunk order.
 * Memory stays bounded: a worker holds one chunk's events (as columns), and no more than
 * `maxAhead` chunks are read ahead of the consumer.
 */
import { closeSync, openSync } from 'node:fs';
import type { CanonicalEvent } from '../../events.ts';
import type { TraceReadStats, TraceReader } from '../../types.ts';
import { emptyStats } from '../../read-stats.ts';
import { MAX_TASKS } from '../../emit.ts';
import type { PrinterReport } from '../../printer-setup.ts';
import type { ProbeMapChoice } from '../../types.ts';
import { ChunkParser, rebuildError, type ChunkResult, type ChunkSetup } from './parse.ts';
import { EMPTY_CARRY, sameCarry, type CarryState } from './carry.ts';
import { chunkListsOverflow, StatsMerger } from './stats.ts';
import { DEBUG, LocalPool, Planner, WorkerPool, type ChunkPool } from './pool.ts';
import { SharedLineCounts } from './lines.ts';
import { BatchDecoder, BatchEncoder, type ColumnBatch, type ColumnPart } from '../../columns/batch.ts';


export interface ChunkedOptions {
  workers: number;
  /** Nominal chunk size (default 2 MB; a chunk ends at the first newline from there). */
  chunkBytes?: number;
  /** Bytes of lines read before a chunk to find the calls open at its start (default 64 KB). */
  warmBytes?: number;
  /**
   * Events per column batch (default 512, about the events of one 64 KB piece, as the single
   * reader's batches: larger ones outlive V8's young generation on both threads).
   */
  batchEvents?: number;
  /** Chunks read ahead of the consumer (default one per worker and one). */
  maxAhead?: number;
  /** A chunk no worker has taken yet (they are starting) is read by the main thread (default true; tests: false). */
  mainHelps?: boolean;
  /** Tests: do the workers' reading on this thread, one chunk at a time (no threads). */
  inThread?: boolean;
}

/** What the reader decided before reading (reader.ts's sniff), for the statistics. */
export interface ChunkedHead {
  size: number;
  probeMap: ProbeMapChoice;
  printer: PrinterReport;
  warnings: string[];
}

/** How a chunked read went (not part of the statistics, which are the single reader's). */
export interface ChunkingReport {
  workers: number;
  chunks: number;
  /** Chunks read again on the main thread because the warm-up's state was not the true one. */
  reread: number;
  /** The chunk from which one reader read the rest (an overflow no merge reproduces), if any. */
  fallbackAt?: number;
}

/** Events of the chunks, in order: objects read on this thread, or a worker's column batch. */
type Item = { objects: CanonicalEvent[] } | { worker: number; part: ColumnBatch; pool: ChunkPool };

export class ChunkedReader implements TraceReader {
  readonly stats: TraceReadStats;
  readonly chunking: ChunkingReport;
  private used = false;
  private readonly chunkBytes: number;
  private readonly warmBytes: number;
  private readonly maxAhead: number;

  constructor(readonly file: string, private readonly setup: ChunkSetup, private readonly head: ChunkedHead, private readonly opts: ChunkedOptions) {
    this.stats = emptyStats(file);
    this.chunking = { workers: opts.workers, chunks: 0, reread: 0 };
    this.chunkBytes = Math.max(1, opts.chunkBytes ?? 2 << 20);
    this.warmBytes = Math.max(0, opts.warmBytes ?? 64 << 10);
    this.maxAhead = Math.max(1, opts.maxAhead ?? opts.workers + 1);
  }

  async *events(): AsyncIterable<CanonicalEvent> {
    for await (const b of this.batches()) yield* b;
  }

  async *batches(): AsyncIterable<CanonicalEvent[]> {
    for await (const it of this.items()) yield 'objects' in it ? it.objects : it.pool.decoders[it.worker]!.build(it.part);
  }

  /**
   * The same batches as columns, for a consumer that reads them in place (replay): a worker's
   * batch as it came, with that worker's string table; a batch read here is encoded here.
   */
  async *columnBatches(): AsyncIterable<ColumnPart> {
    let enc: BatchEncoder | undefined;
    let dec: BatchDecoder | undefined;
    for await (const it of this.items()) {
      if ('objects' in it) {
        const batch = (enc ??= new BatchEncoder()).encode(it.objects);
        (dec ??= new BatchDecoder()).accept(batch);
        yield { batch, table: dec.strings };
        if (batch.buffer) enc.recycle(batch.buffer);
      } else yield { batch: it.part, table: it.pool.decoders[it.worker]!.strings };
    }
  }

  /**
   * The chunks' events in order, as objects (read here) or as a worker's column batch (its
   * strings already taken into the worker's decoder; its buffer goes back to the worker when the
   * consumer asks for the next one).
   */
  private async *items(): AsyncGenerator<Item> {
    if (this.used) throw new Error('TraceReader.batches() can be iterated once');
    this.used = true;
    const st = this.stats;
    st.compression = undefined; // plain text (as the single reader says it: an own property)
    st.format = this.setup.format;
    st.probeMap = this.head.probeMap;
    st.printer = this.head.printer;
    st.warnings.push(...this.head.warnings);
    const fd = openSync(this.setup.path, 'r');
    const main = new ChunkParser(this.setup, fd);
    const planner = new Planner(main, this.head.size, this.chunkBytes);
    const batchEvents = this.opts.batchEvents ?? 512;
    const pool: ChunkPool = this.opts.inThread
      ? new LocalPool(new ChunkParser(this.setup, fd), planner, this.warmBytes, batchEvents)
      : new WorkerPool(
          this.setup, this.opts.workers, batchEvents, planner, this.warmBytes, this.maxAhead, this.opts.mainHelps ?? true,
          SharedLineCounts.maxChunks(this.head.size, this.chunkBytes),
        );
    try {
      yield* this.read(main, pool);
    } finally {
      await pool.close();
      closeSync(fd);
    }
  }

  private async *read(main: ChunkParser, pool: ChunkPool): AsyncGenerator<Item> {
    const st = this.stats;
    const merger = new StatsMerger(st, main.cm, this.setup.maxLines);
    let trueEnd: CarryState = EMPTY_CARRY;
    /** Call contexts in each task table of the single reader, where the next chunk starts. */
    let tables = new Map<string, Set<number>>();
    for (let k = 0; ; k++) {
      const next = await pool.next(k);
      if (next === undefined) break; // the file is read
      const { span, done } = next;
      this.chunking.chunks++;
      let res: ChunkResult;
      let parts: ColumnBatch[] = [];
      const events: CanonicalEvent[][] = [];
      const collect = (evs: CanonicalEvent[]): void => void events.push(evs);
      if (done === undefined) {
        // No worker took it: read here, from the true state.
        pool.counted(k, main.countLines(span.start, span.end));
        res = main.run(span, pool.firstLine(k), trueEnd, collect);
      } else {
        res = done.result;
        parts = done.parts;
        if (!sameCarry(res.startState, trueEnd)) {
          // The warm-up did not find the true state: the chunk is read again from it, here. The
          // worker's batches are not used, but its string table goes on from their strings.
          this.chunking.reread++;
          for (const p of parts) pool.decoders[done.worker]!.accept(p);
          pool.giveBack(done.worker, parts);
          parts = [];
          res = main.run(span, pool.firstLine(k), trueEnd, collect);
        }
      }
      if (DEBUG) process.stderr.write(`chunks: chunk ${k} (bytes ${span.start}-${span.end}) ${done === undefined ? 'read here' : res === done.result ? 'taken' : 'read again here'}\n`);
      const after = nextTables(tables, res);
      if (after === undefined || res.taskTableClears > 0 || chunkListsOverflow(res.counts)) {
        if (done) pool.giveBack(done.worker, parts);
        this.chunking.fallbackAt = k;
        for await (const objects of this.fallback(main, span.start)) yield { objects };
        return;
      }
      tables = after;
      // Counted before its events are yielded: the chunk's gaps are in the statistics by then.
      merger.add(res.counts);
      for (const objects of events) if (objects.length) yield { objects };
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        pool.decoders[done!.worker]!.accept(part);
        if (part.n) yield { worker: done!.worker, part, pool };
        // The consumer has finished with it.
        pool.giveBack(done!.worker, [part]);
      }
      pool.consumed(k);
      if (res.error) throw rebuildError(res.error);
      trueEnd = res.endState;
    }
    st.bytes = this.head.size;
    st.complete = true;
  }

  /**
   * One reader from the file's start, its events before `from` (yielded already) dropped; its
   * statistics are the file's (exact by construction), taken as it goes.
   */
  private async *fallback(chunks: ChunkParser, from: number): AsyncGenerator<CanonicalEvent[]> {
    const st = this.stats;
    // Its own plans: their line counts are the whole file's.
    const main = chunks.fresh();
    const proc = main.newProcessor(1, false);
    const own = proc.st;
    own.format = st.format;
    own.probeMap = st.probeMap;
    own.printer = st.printer;
    own.warnings.push(...this.head.warnings);
    main.feed(proc, 0, from, (evs) => proc.flushStats(evs));
    const gapsKnown = (): void => {
      for (let i = st.gaps.length; i < own.gaps.length; i++) st.gaps.push(own.gaps[i]!);
    };
    const size = this.head.size;
    let failed: unknown;
    for (let pos = from; pos < size; ) {
      const to = Math.min(size, pos + (8 << 20));
      const out: CanonicalEvent[][] = [];
      try {
        main.feed(proc, pos, to, (evs) => out.push(evs));
        if (to >= size) {
          const last = proc.end();
          if (last.length) out.push(last);
        }
      } catch (e) {
        failed = e;
      }
      for (const b of out) {
        proc.flushStats(b);
        gapsKnown();
        yield b;
      }
      if (failed !== undefined) break;
      pos = to;
    }
    proc.finish();
    const { gaps: _gaps, ...rest } = own;
    Object.assign(st, rest);
    gapsKnown();
    if (failed !== undefined) throw failed;
    st.bytes = size;
    st.complete = true;
  }
}

/**
 * The single reader's task tables after the chunk (undefined when one would overflow while
 * reading it). A gap empties them; else the chunk adds the contexts it saw.
 */
function nextTables(before: Map<string, Set<number>>, res: ChunkResult): Map<string, Set<number>> | undefined {
  const seen = new Map(res.taskKeysSeen);
  for (const [name, keys] of seen) {
    // While reading the chunk, a table holds at most the contexts it had and those the chunk saw.
    const had = before.get(name);
    let n = had ? had.size : 0;
    for (const key of keys) if (!had?.has(key)) n++;
    if (n >= MAX_TASKS) return undefined;
  }
  const reset = res.counts.gaps.length > 0;
  const after = new Map<string, Set<number>>();
  if (!reset) for (const [name, set] of before) after.set(name, new Set(set));
  for (const [name, keys] of res.taskKeysEnd) {
    let set = after.get(name);
    if (!set) after.set(name, (set = new Set()));
    for (const key of keys) set.add(key);
  }
  return after;
}

