#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line)
// and prints their figures. Speed goals live here, never in timed test assertions.
import { register } from 'tsx/esm/api';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

register();
const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const f of files) {
  process.stdout.write(`\n== ${f.replace(/\.bench\.ts$/, '')} ==\n`);
  const mod = await import(pathToFileURL(join(dir, f)).href);
  await mod.run();
}
