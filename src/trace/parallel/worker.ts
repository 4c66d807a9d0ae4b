/**
 * The threaded reader's worker: runs the ordinary streaming reader (openTrace) on the file, so
 * parsing, pairing and every statistic are exactly the single-thread reader's, and posts its
 * events as columns (transferred, not copied) with the statistics and the gaps found so far.
 * The main thread only builds event objects and replays.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PeerpropError } from '../../core/errors.ts';
import { openTrace } from '../index.ts';
import { BatchEncoder, transferables, type ColumnBatch } from '../columns/batch.ts';
import type { FromWorker, StatsWithoutGaps, ToWorker, WorkerJob } from './protocol.ts';
import type { TraceReadStats } from '../types.ts';
import type { TraceGap } from '../events.ts';

const port = parentPort!;
const STATS_EVERY = 64;
const job = workerData as WorkerJob;
let inflight = 0;
let wake: (() => void) | undefined;
const enc = new BatchEncoder();
port.on('message', (m: ToWorker) => {
  for (const b of m.buffers) enc.recycle(b);
  inflight--;
  const w = wake;
  wake = undefined;
  w?.();
});

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

function statsOf(st: TraceReadStats): StatsWithoutGaps {
  const { gaps: _gaps, ...rest } = st;
  return rest;
}

async function run(): Promise<void> {
  const reader = await openTrace(job.path, { ...job.opts, threads: false });
  let parts: ColumnBatch[] = [];
  let events = 0;
  let gapMarks: number[] = [];
  let gapsSent = 0;
  let sent = 0;
  const flush = async (): Promise<void> => {
    const gaps = reader.stats.gaps.slice(gapsSent);
    gapsSent += gaps.length;
    // The statistics are a few kB to clone: sent with the first message (format and probe map are
    // read before the first batch), then every STATS_EVERY messages, and in full at the end.
    const stats = sent++ % STATS_EVERY === 0 ? statsOf(reader.stats) : undefined;
    post({ type: 'events', parts, gapMarks, gaps, stats }, parts.flatMap(transferables));
    parts = [];
    events = 0;
    gapMarks = [];
    // Bounded memory: the worker never runs more than maxInflight messages ahead of the consumer.
    if (++inflight >= job.maxInflight) await new Promise<void>((res) => (wake = res));
  };
  try {
    for await (const b of reader.batches()) {
      // Encoded at once (the event objects die young); posted a few batches at a time.
      parts.push(enc.encode(b));
      events += b.length;
      gapMarks.push(reader.stats.gaps.length);
      if (events >= job.batchEvents) await flush();
    }
  } catch (e) {
    // The batches before the error, then the error with the statistics as the reader left them.
    if (parts.length) await flush();
    failed(e, reader.stats.gaps.slice(gapsSent), statsOf(reader.stats));
    return;
  }
  if (parts.length) await flush();
  post({ type: 'end', gaps: reader.stats.gaps.slice(gapsSent), stats: statsOf(reader.stats) });
}

function failed(e: unknown, gaps: TraceGap[] = [], stats?: StatsWithoutGaps): void {
  if (e instanceof PeerpropError) post({ type: 'error', message: e.message, exitCode: e.exitCode, location: e.location, gaps, stats });
  else post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined, gaps, stats });
}

run().catch((e: unknown) => failed(e));
