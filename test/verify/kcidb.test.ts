import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';

type Doc = { checkouts: { misc: { tree?: string } }[]; tests: { path: string; status: string; log_excerpt?: string }[] };

describe('verify --format kcidb', () => {
  it('a killed mutant: peerprop.verify FAIL with the counterexample and its C line; each strategy its own test', async () => {
    const r = await runCli(['verify', 'kernel-fixtures/mutants/04-compare-less-than.patch', '--tree', 'kernel-fixtures/trees/pre-seed', '--format', 'kcidb']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as Doc;
    expect(kcidbProblems(doc)).toEqual([]);
    const byPath = new Map(doc.tests.map((t) => [t.path, t]));
    expect(byPath.get('peerprop.verify')!.status).toBe('FAIL');
    expect(byPath.get('peerprop.verify')!.log_excerpt).toMatch(/DIVERGENCE \(wrap[\s\S]*route\.c:388/);
    // 04 is invisible from genid 0: only the wrap finds it.
    expect(byPath.get('peerprop.verify.wrap')!.status).toBe('FAIL');
    expect(byPath.get('peerprop.verify.exhaustive')!.status).toBe('PASS');
    expect(doc.checkouts[0]!.misc.tree).toBe('kernel-fixtures/trees/pre-seed');
  });
});
