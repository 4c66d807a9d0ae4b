/**
 * Runs analyses on N threads (node:worker_threads). With --jobs 1 everything runs inline.
 * With N > 1, N worker threads analyse and the main thread only reads the object store and
 * dispatches: an analysis is synchronous CPU work (hundreds of ms), and a main thread busy with
 * one cannot read the next revisions from git, so the workers would starve (measured: --jobs 2
 * with an analysing main thread kept 1.0 core busy). `mainThread: true` still lets the main
 * thread take a task when no ready worker is idle.
 * Callers keep their own order: results are matched to requests, so output order never depends
 * on which thread finished first. What one thread memoises (analyser's exportShared) is passed
 * to the others (importShared).
 */
import { Worker } from 'node:worker_threads';
import { loadAnalyser, loadSharedHooks, runSafely, type AnalyserRef, type SharedStateHooks } from './analyser-ref.ts';
import type { Analyse, TreeSources, Verdict } from './types.ts';

export interface Executor {
  /** Threads doing the work, the main thread included (1 = inline only). */
  readonly jobs: number;
  analyse(sources: TreeSources): Promise<Verdict>;
  close(): Promise<void>;
}

interface Job {
  id: number;
  sources: TreeSources;
  resolve: (v: Verdict) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Jobs posted and not answered yet, oldest first (a worker answers in order). */
  inflight: Job[];
}

/**
 * Jobs posted to a worker ahead of time: while the main thread is inside a synchronous analysis
 * it cannot dispatch, so each worker holds its next job already.
 */
const PREFETCH = 2;

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

export interface ExecutorOptions {
  /** false: the main thread only dispatches and `jobs` worker threads do all the analyses. Default: true for jobs = 1, false above. */
  mainThread?: boolean;
}

export async function createExecutor(ref: AnalyserRef, jobs: number, opts: ExecutorOptions = {}): Promise<Executor> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive integer, got ${jobs}`);
  const mainThread = opts.mainThread ?? jobs === 1;
  const fn = await loadAnalyser(ref);
  if (jobs === 1 && mainThread) return { jobs: 1, analyse: (s) => runSafely(fn, s), close: async () => {} };
  return new ThreadPool(ref, jobs, mainThread ? fn : undefined, await loadSharedHooks(ref));
}

class ThreadPool implements Executor {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private inlineBusy = false;
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    ref: AnalyserRef,
    readonly jobs: number,
    private readonly inline: Analyse | undefined,
    private readonly hooks: SharedStateHooks | undefined,
  ) {
    for (let i = 0; i < (inline ? jobs - 1 : jobs); i++) {
      // Explicit execArgv: vitest / tsx flags of the parent are not meant for the worker.
      const worker = new Worker(BOOT, { workerData: { analyser: ref }, execArgv: [] });
      const slot: Slot = { worker, ready: false, inflight: [] };
      this.slots.push(slot);
      this.attach(slot);
    }
  }

  analyse(sources: TreeSources): Promise<Verdict> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, sources, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (m: { ready?: boolean; id?: number; verdict?: Verdict; shared?: unknown[] }) => {
      if (m.ready) {
        slot.ready = true;
        this.pump();
        return;
      }
      if (m.shared) this.share(m.shared, slot);
      const job = slot.inflight[0];
      if (!job || job.id !== m.id || !m.verdict) return;
      slot.inflight.shift();
      job.resolve(m.verdict);
      this.pump();
    });
    slot.worker.on('error', (err) => this.fail(err));
    slot.worker.on('exit', (code) => {
      if (!this.closed && (slot.inflight.length > 0 || !slot.ready)) this.fail(new Error(`scan worker exited with code ${code}`));
    });
  }

  /** Passes memoised results to every thread but the one that made them. */
  private share(items: unknown[], from: Slot | undefined): void {
    if (items.length === 0) return;
    if (from) this.hooks?.importShared(items);
    for (const s of this.slots) if (s !== from) s.worker.postMessage({ shared: items });
  }

  private pump(): void {
    // Fill every ready worker to one job, then to PREFETCH, before the main thread takes one.
    for (let depth = 1; depth <= PREFETCH; depth++) {
      for (const slot of this.slots) {
        if (!slot.ready || slot.inflight.length >= depth) continue;
        const job = this.queue.shift();
        if (!job) return;
        slot.inflight.push(job);
        slot.worker.postMessage({ id: job.id, sources: job.sources });
      }
    }
    const inline = this.inline;
    if (!inline || this.inlineBusy || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.inlineBusy = true;
    // Run after the current turn so that replies from workers are dispatched first.
    setImmediate(async () => {
      const verdict = await runSafely(inline, job.sources);
      this.share(this.hooks?.exportShared() ?? [], undefined);
      this.inlineBusy = false;
      job.resolve(verdict);
      this.pump();
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const slot of this.slots) for (const job of slot.inflight.splice(0)) job.reject(err);
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}
