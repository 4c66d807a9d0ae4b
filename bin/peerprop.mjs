#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
// Commands that stream traces ask V8 to keep the heap small (src/core/memory.ts).
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'replay' || command === 'default') {
  const { favourMemory } = await import('../src/core/memory.ts');
  favourMemory();
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
