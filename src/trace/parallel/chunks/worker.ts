/**
 * A worker of the chunked reader: reads the chunks the main thread gives it, one at a time (the
 * lines of each counted first, into counts shared by all readers, from which each finds the
 * number of its first line), and posts each chunk's events as column batches (transferred) with
 * its counts and states.
 */
import { openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CanonicalEvent } from '../../events.ts';
import { BatchEncoder, transferables, type ColumnBatch } from '../../columns/batch.ts';
import { ChunkParser, chunkError } from './parse.ts';
import { EMPTY_CARRY } from './carry.ts';
import { SharedLineCounts } from './lines.ts';
import type { ChunkWorkerData, FromChunkWorker, ToChunkWorker } from './protocol.ts';

const port = parentPort!;
const data = workerData as ChunkWorkerData;
const parser = new ChunkParser(data.setup, openSync(data.setup.path, 'r'));
const enc = new BatchEncoder();
const jobs: Extract<ToChunkWorker, { type: 'chunk' }>[] = [];
/** Chunks given whose lines are counted. */
const counted = new Set<number>();
let wake: (() => void) | undefined;

/**
 * Column buffers given back by the main thread, for the next batches. The encoder keeps only a
 * few itself; a chunk's batches are many and come back together: without this list each batch
 * would take a new buffer, and V8 collects the more often the more outside memory is taken.
 */
const free: ArrayBuffer[] = [];
const MAX_FREE = 32;

port.on('message', (m: ToChunkWorker) => {
  if (m.type === 'buffers') {
    for (const b of m.buffers) if (free.length < MAX_FREE) free.push(b);
  }
  else {
    jobs.push(m);
    const w = wake;
    wake = undefined;
    w?.();
  }
});

const next = (): Promise<void> => new Promise<void>((res) => (wake = res));

function encode(events: CanonicalEvent[]): ColumnBatch {
  const b = free.pop();
  if (b) enc.recycle(b);
  return enc.encode(events);
}

function post(m: FromChunkWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

async function loop(): Promise<void> {
  for (;;) {
    // Messages first (new chunks, buffers given back), then every chunk given is counted at once:
    // the readers of the chunks after them are waiting for the counts.
    await new Promise<void>((res) => setImmediate(res));
    while (jobs.length === 0) await next();
    const t0 = performance.now();
    const { span, warmBytes } = jobs[0]!;
    try {
      for (const j of jobs) {
        if (counted.has(j.span.k)) continue;
        counted.add(j.span.k);
        SharedLineCounts.store(data.counts, j.span.k, parser.countLines(j.span.start, j.span.end));
      }
      jobs.shift();
      counted.delete(span.k);
      const firstLine = SharedLineCounts.firstLine(data.counts, span.k);
      const parts: ColumnBatch[] = [];
      let pending: CanonicalEvent[] = [];
      const result = parser.run(span, firstLine, span.k === 0 ? EMPTY_CARRY : { warmBytes }, (evs) => {
        // The events of a 64 KB piece, joined into batches of about batchEvents.
        for (const e of evs) pending.push(e);
        if (pending.length >= data.batchEvents) {
          parts.push(encode(pending));
          pending = [];
        }
      });
      if (pending.length) parts.push(encode(pending));
      post({ type: 'done', k: span.k, parts, result, ms: performance.now() - t0 }, parts.flatMap(transferables));
    } catch (e) {
      // A PeerpropError (the file cut short while read) stays one: the reader raises it as such.
      post({ type: 'failed', k: span.k, error: chunkError(e) });
      return;
    }
  }
}

post({ type: 'ready' });
void loop();
