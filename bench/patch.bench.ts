/**
 * Patch reader figures: read the seed, read a large generated series, apply with offsets to a
 * large file, and a failing hunk's full search (the worst case of the outward search).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPatch, structuredPatch, FILE_HEADERS_ONLY } from 'diff';
import { readPatch, applyFilePatch, applyToTree, allFilePatches, PatchApplyError } from '../src/patch/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function time<T>(label: string, runs: number, fn: () => T, unit?: (ms: number) => string): T {
  let out!: T;
  fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) out = fn();
  const ms = (performance.now() - t0) / runs;
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(10)} ms/run${unit ? '  ' + unit(ms) : ''}`);
  return out;
}

export async function run(): Promise<void> {
  const seed = readFileSync(resolve(root, 'kernel-fixtures/route-genid.patch'), 'utf8');
  time('readPatch(seed, 84 lines, 3 hunks, 1 repair)', 2000, () => readPatch(seed, 'seed'));

  const tree = resolve(root, 'kernel-fixtures/trees/pre-seed');
  const set = readPatch(seed, 'seed');
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) await applyToTree(set, tree);
  console.log(`${'applyToTree(seed, pre-seed fixture, in memory)'.padEnd(58)} ${((performance.now() - t0) / 50).toFixed(3).padStart(10)} ms/run`);

  // A 100 000-line kernel-style file with an edit every 200 lines (500 hunks).
  const lines = Array.from({ length: 100_000 }, (_, i) => (i % 7 === 0 ? '}' : i % 7 === 1 ? '' : `\tstep_${i}(rt, ${i % 13});`));
  const big = lines.join('\n') + '\n';
  const edited = lines.map((l, i) => (i % 200 === 100 ? `\tif (rt->rt_peer_genid != gen_${i})\n\t\trt_bind_peer(rt, 0);\n${l}` : l)).join('\n') + '\n';
  const diff = time('structuredPatch (jsdiff) of 100k lines, 500 hunks', 3, () =>
    formatPatch(structuredPatch('a/net/ipv4/big.c', 'b/net/ipv4/big.c', big, edited, undefined, undefined, { context: 3 }), FILE_HEADERS_ONLY),
  );
  const bigSet = time(`readPatch(${diff.split('\n').length} lines, 500 hunks)`, 20, () => readPatch(diff, 'big.patch'), (ms) => `${((diff.length / 1024 / 1024) / (ms / 1000)).toFixed(1)} MiB/s`);
  const fp = allFilePatches(bigSet)[0]!;
  time('applyFilePatch(100k lines, 500 hunks, offset 0)', 10, () => applyFilePatch(fp, big));
  const shifted = '/* pad */\n'.repeat(1000) + big;
  const a = time('applyFilePatch(100k lines, 500 hunks, offset +1000)', 10, () => applyFilePatch(fp, shifted));
  console.log(`  offsets reported: first ${a.hunks[0]!.offset}, last ${a.hunks[a.hunks.length - 1]!.offset}`);
  const broken = big.replace('\tstep_99(rt, 8);', '\tstep_99(rt, 9);');
  time('failing hunk 1: full outward search of 100k lines', 3, () => {
    try {
      applyFilePatch(fp, broken, { fuzz: 0 });
    } catch (e) {
      if (!(e instanceof PatchApplyError)) throw e;
    }
  });
}
