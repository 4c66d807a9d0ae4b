/** Messages between the chunked reader (main thread, reader.ts) and its workers (worker.ts). */
import type { ColumnBatch } from '../../columns/batch.ts';
import type { ChunkError, ChunkResult, ChunkSetup, ChunkSpan } from './parse.ts';

export interface ChunkWorkerData {
  setup: ChunkSetup;
  /** Events per column batch (a chunk's events are joined up to this many). */
  batchEvents: number;
  /** The chunks' line counts (pool.ts SharedLineCounts: on a SharedArrayBuffer). */
  counts: Int32Array;
}

export type ToChunkWorker =
  /** Read this chunk (its lines counted first, into the shared counts). */
  | { type: 'chunk'; span: ChunkSpan; warmBytes: number }
  /** Buffers of column batches the main thread has built events from, to be filled again. */
  | { type: 'buffers'; buffers: ArrayBuffer[] };

export type FromChunkWorker =
  /** Started: it can take a chunk. */
  | { type: 'ready' }
  /** `ms`: the worker's time on the chunk (counting, warm-up, reading, columns). */
  | { type: 'done'; k: number; parts: ColumnBatch[]; result: ChunkResult; ms: number }
  /** The chunk could not be read (the file cut short while read, or a bug; errors of its lines are in ChunkResult). */
  | { type: 'failed'; k: number; error: ChunkError };
