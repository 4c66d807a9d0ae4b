/**
 * C fact extraction and patch review figures: extractFacts on the fixture route.c and on
 * Debian's real 6.1 route.c / ipv6 route.c (when installed), split into parse and extraction,
 * and a whole review of the seed patch from the hunks alone and against the pre-seed tree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseC } from '../src/csrc/parse.ts';
import { extractFacts } from '../src/csrc/facts.ts';
import { detectEra } from '../src/csrc/era.ts';
import { reviewPatch } from '../src/review/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function time(label: string, runs: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  const ms = (performance.now() - t0) / runs;
  console.log(`${label.padEnd(64)} ${ms.toFixed(1).padStart(8)} ms/run`);
  return ms;
}

export async function run(): Promise<void> {
  const files: [string, string][] = [
    ['fixture seed route.c', resolve(root, 'kernel-fixtures/trees/seed/net/ipv4/route.c')],
    ['fixture pmtu-redirect route.c', resolve(root, 'kernel-fixtures/trees/pmtu-redirect/net/ipv4/route.c')],
    ['linux-source-6.1 net/ipv4/route.c', '/usr/src/linux-source-6.1/net/ipv4/route.c'],
    ['linux-source-6.1 net/ipv6/route.c', '/usr/src/linux-source-6.1/net/ipv6/route.c'],
  ];
  for (const [label, path] of files) {
    if (!existsSync(path)) {
      console.log(`${label.padEnd(64)} (absent)`);
      continue;
    }
    const src = readFileSync(path, 'utf8');
    const lines = src.split('\n').length;
    await time(`parseC ${label} (${lines} lines)`, 10, () => parseC(src));
    await time(`extractFacts ${label} (parse included)`, 10, () => extractFacts(src, 'net/ipv4/route.c'));
    await time(`extractFacts + detectEra ${label}`, 10, () => detectEra(extractFacts(src, 'net/ipv4/route.c')));
  }
  const patch = resolve(root, 'kernel-fixtures/route-genid.patch');
  await time('reviewPatch(seed) from the hunks alone', 20, () => reviewPatch({ patch }));
  await time('reviewPatch(seed, --tree pre-seed)', 20, () => reviewPatch({ patch, tree: resolve(root, 'kernel-fixtures/trees/pre-seed') }));
  if (existsSync('/usr/src/linux-source-6.1/net/ipv4/route.c')) {
    await time('reviewPatch(seed, --tree linux-source-6.1): refused, fnhe era', 5, () =>
      reviewPatch({ patch, tree: '/usr/src/linux-source-6.1' }).catch(() => undefined),
    );
  }
}
