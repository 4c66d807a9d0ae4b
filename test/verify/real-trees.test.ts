/**
 * Opt-in: the evaluator and the differential check on REAL kernel route.c files, which the
 * repository does not carry. Point the variables at files you have, e.g. from the mainline
 * history (`git show 6431cbc25fa2^:net/ipv4/route.c` is the seed's parent):
 *   PEERPROP_SEED_PARENT_TREE=dir   a tree whose net/ipv4/route.c is the seed's pre-image
 *   PEERPROP_ROUTE_C=a.c:b.c        route.c files of any era (2.6.38 .. 3.5 are evaluated)
 * Without them these tests are skipped (CI has only linux-source-6.1, an fnhe-era tree).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { verify, verifySource } from '../../src/verify/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const parentTree = process.env.PEERPROP_SEED_PARENT_TREE;
const routeFiles = (process.env.PEERPROP_ROUTE_C ?? '').split(':').filter(Boolean);

describe.skipIf(!parentTree)('the seed patch and its mutants on the real pre-image', () => {
  it('passes the seed patch', async () => {
    const r = await verify({ patch: resolve(repoRoot, 'kernel-fixtures/route-genid.patch'), tree: parentTree!, runs: 300 });
    expect(r.era).toBe('seed');
    expect(r.ok).toBe(true);
  });

  it('kills every mutant', async () => {
    const dir = resolve(repoRoot, 'kernel-fixtures/mutants');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.patch'))) {
      const r = await verify({ patch: resolve(dir, f), tree: parentTree!, runs: 300 });
      expect(r.ok, f).toBe(false);
    }
  });
});

describe.skipIf(routeFiles.length === 0)('real route.c files agree with the model of their era', () => {
  for (const file of routeFiles) {
    it(file, () => {
      const r = verifySource(readFileSync(file, 'utf8'), 'net/ipv4/route.c', undefined, { runs: 300, depth: 4 });
      expect(r.ok).toBe(true);
    });
  }
});
