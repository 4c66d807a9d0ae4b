/**
 * Worker thread body: loads the analyser named in workerData once, then answers
 * { id, sources } messages with { id, verdict }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadAnalyser, runSafely, type AnalyserRef } from './analyser-ref.ts';
import type { TreeSources } from './types.ts';

interface Task {
  id: number;
  sources: TreeSources;
}

const port = parentPort;
if (!port) throw new Error('src/scan/worker.ts must run in a worker thread');

const ref = (workerData as { analyser: AnalyserRef }).analyser;
const analyse = await loadAnalyser(ref);
port.on('message', async (task: Task) => {
  const verdict = await runSafely(analyse, task.sources);
  port.postMessage({ id: task.id, verdict });
});
port.postMessage({ ready: true });
