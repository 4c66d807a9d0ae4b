import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { runCli, type CliRun } from '../helpers/cli.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const tree = resolve(repoRoot, 'kernel-fixtures/trees/pre-seed');

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);

describe('peerprop verify', () => {
  it('exits 0 on the seed patch applied to the pre-seed tree', async () => {
    const r = await cli('verify', resolve(repoRoot, 'kernel-fixtures/route-genid.patch'), '--tree', tree, '--runs', '200');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/era seed/);
    expect(r.out).toMatch(/PASS/);
  });

  it('exits 1 on a mutant and prints the counterexample with the C and patch lines', async () => {
    const r = await cli('verify', resolve(repoRoot, 'kernel-fixtures/mutants/04-compare-less-than.patch'), '--tree', tree, '--runs', '200');
    expect(r.code).toBe(1);
    expect(r.out).toContain('DIVERGENCE (wrap, 3 operations, global genid starting at 0xffffffff)');
    expect(r.out).toContain('3. check(rt0)   <- diverges here');
    expect(r.out).toContain('route 0 rt_peer_genid: model 0x0, C 0xffffffff');
    expect(r.out).toMatch(/C line \(no C statement wrote route 0 rt_peer_genid; last branch decided\): net\/ipv4\/route\.c:\d+:\d+ in ipv4_dst_check\(\): if \(rt->rt_peer_genid < rt_peer_genid\(\)\) \{ \(patch line \d+, added by the patch\)/);
  });

  it('writes JSON for scripts', async () => {
    const r = await cli('verify', resolve(repoRoot, 'kernel-fixtures/mutants/10-plain-u32-counter.patch'), '--tree', tree, '--format', 'json', '--runs', '50');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.divergence.strategy).toBe('interleavings');
    expect(j.divergence.field).toBe('global genid');
    expect(j.divergence.concurrent.schedule.map((s: { cpu: number }) => s.cpu)).toEqual([0, 1, 1, 0]);
  });

  it('exits 2 with file:line when the hunks alone cannot be run', async () => {
    const patch = resolve(repoRoot, 'kernel-fixtures/route-genid.patch');
    const r = await cli('verify', patch);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^peerprop: ${patch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: rt_bind_peer\\(\\) is not whole`));
  });

  it('exits 2 on bad options and missing files', async () => {
    expect((await cli('verify', 'kernel-fixtures/route-genid.patch', '--runs', 'x')).code).toBe(2);
    expect((await cli('verify', 'kernel-fixtures/route-genid.patch', '--era', 'bogus')).code).toBe(2);
    const missing = await cli('verify', resolve(repoRoot, 'no-such.patch'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no-such\.patch/);
  });
});
