import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('peerprop kernel build / conform --git: usage', () => {
  it('wants exactly one source', async () => {
    const none = await runCli(['kernel', 'build']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('give either --tree DIR or --git REPO --rev REV');
    const revOnly = await runCli(['kernel', 'build', '--rev', 'HEAD']);
    expect(revOnly.code).toBe(2);
    expect(revOnly.err).toContain('--rev needs --git REPO');
    const jobs = await runCli(['kernel', 'build', '--tree', '.', '--jobs', 'x']);
    expect(jobs.code).toBe(2);
  });

  it('conform: --rev and --bisect need --git, and --git needs one of them', async () => {
    expect((await runCli(['conform', '--bisect', 'a..b'])).err).toContain('--bisect needs --git REPO');
    expect((await runCli(['conform', '--rev', 'a'])).code).toBe(2);
    const both = await runCli(['conform', '--git', '.', '--rev', 'a', '--bisect', 'a..b']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--git needs either --rev REV or --bisect GOOD..BAD');
    const range = await runCli(['conform', '--git', '.', '--bisect', 'nodots']);
    expect(range.code).toBe(2);
    expect(range.err).toContain('--bisect expects GOOD..BAD');
  });
});
