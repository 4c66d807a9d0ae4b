/**
 * Worker thread body: loads the analyser named in workerData once, then answers
 * { id, sources } messages with { id, verdict }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadAnalyser, loadSharedHooks, runSafely, type AnalyserRef } from './analyser-ref.ts';
import type { TreeSources } from './types.ts';

interface Task {
  id: number;
  sources: TreeSources;
}

const port = parentPort;
if (!port) throw new Error('src/scan/worker.ts must run in a worker thread');

const ref = (workerData as { analyser: AnalyserRef }).analyser;
const analyse = await loadAnalyser(ref);
const hooks = await loadSharedHooks(ref);
port.on('message', async (msg: Task | { shared: unknown[] }) => {
  if ('shared' in msg) {
    hooks?.importShared(msg.shared);
    return;
  }
  const verdict = await runSafely(analyse, msg.sources);
  const shared = hooks?.exportShared() ?? [];
  port.postMessage({ id: msg.id, verdict, ...(shared.length > 0 ? { shared } : {}) });
});
port.postMessage({ ready: true });
