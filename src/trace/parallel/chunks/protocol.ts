/** Messages between the chunked reader (main thread, reader.ts) and its workers (worker.ts). */
import type { ColumnBatch } from '../../columns/batch.ts';
import type { ChunkResult, ChunkSetup, ChunkSpan } from './parse.ts';

export interface ChunkWorkerData {
  setup: ChunkSetup;
  /** Events per column batch (a chunk's events are joined up to this many). */
  batchEvents: number;
}

export type ToChunkWorker =
  /** Read this chunk: count its lines first (`count`), then wait for its first line number. */
  | { type: 'chunk'; span: ChunkSpan; warmBytes: number }
  | { type: 'first'; k: number; firstLine: number }
  /** Buffers of column batches the main thread has built events from, to be filled again. */
  | { type: 'buffers'; buffers: ArrayBuffer[] };

export type FromChunkWorker =
  /** Started: it can take a chunk. */
  | { type: 'ready' }
  | { type: 'count'; k: number; lines: number }
  | { type: 'done'; k: number; parts: ColumnBatch[]; result: ChunkResult }
  /** Something other than the input went wrong (the input's own errors are in ChunkResult). */
  | { type: 'failed'; k: number; message: string; stack?: string };
