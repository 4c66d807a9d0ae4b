#!/usr/bin/env node
// Runs the compiled build (dist/, made by `npm ci` through `prepare`) when it was built from the
// sources as they are now, and the TypeScript sources through tsx otherwise (a fresh edit, no
// build): never a build that is older than the code it claims to be.
import { existsSync, readFileSync } from 'node:fs';
import { sourceStamp } from '../scripts/source-stamp.mjs';

const root = new URL('../', import.meta.url);
const stampFile = new URL('dist/.source-stamp', root);
const built =
  process.env.PEERPROP_FROM_SOURCE !== '1' &&
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8').trim() === sourceStamp(new URL('src', root).pathname);

let entry;
if (built) entry = new URL('dist/', root);
else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('src/', root);
}
const ext = built ? '.js' : '.ts';
// Commands that stream traces ask V8 to keep the heap small (src/core/memory.ts).
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'replay' || command === 'default') {
  const { favourMemory } = await import(new URL(`core/memory${ext}`, entry).href);
  favourMemory();
}
const { main } = await import(new URL(`cli/main${ext}`, entry).href);
await main(process.argv.slice(2));
