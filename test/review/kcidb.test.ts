import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';

type Doc = { checkouts: Record<string, unknown>[]; tests: { path: string; status: string; log_excerpt?: string; comment?: string }[] };

async function kcidb(...argv: string[]): Promise<{ code: number; doc: Doc }> {
  const r = await runCli(['review', ...argv, '--format', 'kcidb']);
  const doc = JSON.parse(r.out) as Doc;
  expect(kcidbProblems(doc)).toEqual([]);
  return { code: r.code, doc };
}

describe('review --format kcidb', () => {
  it('a whole review without an error finding is PASS, on the checkout tree + patch (with its patchset hash)', async () => {
    const { code, doc } = await kcidb('kernel-fixtures/route-genid.patch', '--tree', 'kernel-fixtures/trees/pre-seed');
    expect(code).toBe(0);
    expect(doc.tests.map((t) => [t.path, t.status])).toEqual([['peerprop.review', 'PASS']]);
    expect(doc.checkouts[0]!.patchset_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.checkouts[0]!.valid).toBe(true);
    // The seed's damage was repaired: the checkout says so.
    expect(doc.checkouts[0]!.log_excerpt).toMatch(/repaired/);
  });

  it('an error-level finding is FAIL with the finding line', async () => {
    const { code, doc } = await kcidb('kernel-fixtures/mutants/04-compare-less-than.patch', '--tree', 'kernel-fixtures/trees/pre-seed');
    expect(code).toBe(1);
    expect(doc.tests[0]!.status).toBe('FAIL');
    expect(doc.tests[0]!.log_excerpt).toMatch(/net\/ipv4\/route\.c:\d+(:\d+)?: ERROR: /);
  });

  it('a review from the hunks alone is partial: ERROR, never PASS', async () => {
    const { code, doc } = await kcidb('kernel-fixtures/route-genid.patch');
    expect(code).toBe(0);
    expect(doc.tests[0]!.status).toBe('ERROR');
    expect(doc.tests[0]!.comment).toMatch(/^partial review/);
  });
});
