// Loading a worker thread's module from its boot file: workers do not inherit the main thread's
// loader hooks. Beside the compiled build (dist/) the worker is JavaScript and loads directly;
// beside the sources, tsx is registered here first (works under bin/peerprop.mjs, vitest and bench).
import { existsSync } from 'node:fs';

/** Imports `worker.js` beside `bootUrl` when it exists, else `worker.ts` through tsx. */
export async function loadWorkerBeside(bootUrl) {
  const js = new URL('./worker.js', bootUrl);
  if (existsSync(js)) return import(js.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL('./worker.ts', bootUrl).href);
}
