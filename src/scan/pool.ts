/**
 * Runs analyses inline (--jobs 1) or on worker threads (--jobs N). Callers keep their own
 * order: results are matched to requests, so output order never depends on which worker
 * finished first.
 */
import { Worker } from 'node:worker_threads';
import { loadAnalyser, runSafely, type AnalyserRef } from './analyser-ref.ts';
import type { TreeSources, Verdict } from './types.ts';

export interface Executor {
  /** Threads doing the work (1 = inline in this thread). */
  readonly jobs: number;
  analyse(sources: TreeSources): Promise<Verdict>;
  close(): Promise<void>;
}

export async function createExecutor(ref: AnalyserRef, jobs: number): Promise<Executor> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive integer, got ${jobs}`);
  if (jobs === 1) {
    const fn = await loadAnalyser(ref);
    return { jobs: 1, analyse: (s) => runSafely(fn, s), close: async () => {} };
  }
  return WorkerPool.start(ref, jobs);
}

interface Job {
  id: number;
  sources: TreeSources;
  resolve: (v: Verdict) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy?: Job;
}

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

class WorkerPool implements Executor {
  private readonly queue: Job[] = [];
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(
    readonly jobs: number,
    private readonly slots: Slot[],
  ) {}

  static async start(ref: AnalyserRef, jobs: number): Promise<WorkerPool> {
    const slots: Slot[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < jobs; i++) {
      // Explicit execArgv: vitest / tsx flags of the parent are not meant for the worker.
      const worker = new Worker(BOOT, { workerData: { analyser: ref }, execArgv: [] });
      slots.push({ worker });
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMsg = (m: { ready?: boolean }) => {
            if (m.ready) {
              worker.off('message', onMsg);
              worker.off('error', reject);
              resolve();
            }
          };
          worker.on('message', onMsg);
          worker.once('error', reject);
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    }
    const pool = new WorkerPool(jobs, slots);
    for (const slot of slots) pool.attach(slot);
    return pool;
  }

  analyse(sources: TreeSources): Promise<Verdict> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, sources, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (m: { id: number; verdict: Verdict; shared?: unknown[] }) => {
      // What one worker learned (memoised checks) goes to the others before they take new work.
      if (m.shared) for (const other of this.slots) if (other !== slot) other.worker.postMessage({ shared: m.shared });
      const job = slot.busy;
      if (!job || job.id !== m.id) return;
      slot.busy = undefined;
      job.resolve(m.verdict);
      this.pump();
    });
    slot.worker.on('error', (err) => this.fail(err));
    slot.worker.on('exit', (code) => {
      if (slot.busy) this.fail(new Error(`scan worker exited with code ${code}`));
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.busy = job;
      slot.worker.postMessage({ id: job.id, sources: job.sources });
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const slot of this.slots) {
      slot.busy?.reject(err);
      slot.busy = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}
