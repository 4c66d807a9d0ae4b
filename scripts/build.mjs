#!/usr/bin/env node
// Compiles src/ to dist/ (same depth as src/, so paths relative to a module still reach the
// package root) and stamps dist/ with the state of src/ it was built from. bin/peerprop.mjs runs
// dist/ only while that stamp matches src/; after any edit it runs the sources through tsx, so a
// stale build can never answer for code it was not built from. Run by npm's `prepare` (npm ci).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from './source-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const started = Date.now();
const stamp = sourceStamp(src);

rmSync(dist, { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

// What tsc does not emit: data files beside the modules (probe maps), plain .mjs entries, and the
// compiled trace scanner (src/trace/wasm/scan.wasm, loaded from beside its module).
function copyAssets(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) copyAssets(p);
    else if (/\.(json|mjs|md|wasm)$/.test(e.name)) {
      const to = join(dist, relative(src, p));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(p, to);
    }
  }
}
copyAssets(src);
writeFileSync(join(dist, '.source-stamp'), stamp + '\n');
process.stderr.write(`build: dist/ from src/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
