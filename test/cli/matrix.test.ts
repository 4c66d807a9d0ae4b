import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('peerprop matrix', () => {
  it('prints the GitHub matrix on stdout, nothing on stderr', async () => {
    const r = await runCli(['matrix', '--kernels', 'debian', 'debian-6.12', '--scenarios', 'udp-pmtu', 'flush', '--shards', '3', '--format', 'github']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).include.map((e: { shard: string }) => e.shard)).toEqual(['1/3', '2/3', '3/3']);
  });

  const refused: [string, string[], RegExp][] = [
    ['unknown scenario', ['--kernels', 'debian', '--scenarios', 'udp-pmtu', 'warp-drive'], /unknown scenario "warp-drive"/],
    ['zero shards', ['--kernels', 'debian', '--scenarios', 'udp-pmtu', '--shards', '0'], /--shards/],
    ['more shards than pairs', ['--kernels', 'debian', '--scenarios', 'udp-pmtu', '--shards', '2'], /2 shards for 1 kernel x scenario pair /],
    ['no scenarios option', ['--kernels', 'debian'], /--scenarios/],
    ['bad format', ['--kernels', 'debian', '--scenarios', 'udp-pmtu', '--format', 'jenkins'], /argument 'jenkins' is invalid/],
  ];
  for (const [name, argv, msg] of refused) {
    it(`refuses ${name} (exit 2, one line, nothing on stdout)`, async () => {
      const r = await runCli(['matrix', ...argv]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});
