// Worker thread entry of the threaded trace reader: workers do not inherit the main thread's
// loader hooks. Beside the compiled build (dist/) the worker is JavaScript and loads directly;
// beside the sources, tsx is registered here first (works under bin/peerprop.mjs, vitest and bench).
import { existsSync } from 'node:fs';

if (existsSync(new URL('./worker.js', import.meta.url))) {
  await import(new URL('./worker.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./worker.ts', import.meta.url).href);
}
