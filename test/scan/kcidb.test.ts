import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';
import { buildRepo } from './helpers.ts';
import { treeFiles } from './fixture-trees.ts';

type Doc = { checkouts: { git_commit_hash?: string; misc: Record<string, unknown> }[]; tests: { path: string; status: string; log_excerpt?: string }[] };

async function scan(...argv: string[]): Promise<{ code: number; doc: Doc }> {
  const r = await runCli(['scan', ...argv, '--format', 'kcidb']);
  const doc = JSON.parse(r.out) as Doc;
  expect(kcidbProblems(doc)).toEqual([]);
  return { code: r.code, doc };
}

describe('scan --format kcidb', () => {
  it('a checkout per tree; a tree with nothing to check is ERROR, not PASS', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'peerprop-empty-tree-'));
    try {
      const { doc } = await scan('kernel-fixtures/trees/pmtu-redirect', empty);
      expect(doc.checkouts).toHaveLength(2);
      expect(doc.tests.map((t) => t.status)).toEqual(['PASS', 'ERROR']);
      expect(doc.tests[1]!.log_excerpt).toMatch(/skipped/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a checkout per revision, with its commit hash; the repository path kept in misc', async () => {
    const repo = buildRepo([
      { message: 'pre-seed', files: treeFiles('pre-seed') },
      { message: 'pmtu-redirect', files: treeFiles('pmtu-redirect') },
    ]);
    try {
      const { code, doc } = await scan('--git', repo.dir, '--revs', `${repo.commits[0]}..${repo.commits[1]}`);
      expect(code).toBe(0);
      expect(doc.checkouts.map((c) => c.git_commit_hash)).toEqual([repo.commits[1]]);
      expect(doc.checkouts[0]!.misc.git_repository).toBe(repo.dir);
      expect(doc.tests.map((t) => [t.path, t.status])).toEqual([['peerprop.scan', 'PASS']]);
    } finally {
      repo.cleanup();
    }
  });
});
