import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('peerprop conform --shard: refused before any boot', () => {
  const refused: [string, string[], RegExp][] = [
    ['a bad shard', ['--kernel', 'debian', '--scenario', 'udp-pmtu', '--shard', '3/2'], /--shard: expected I\/N/],
    ['no scenario list', ['--kernel', 'debian', '--shard', '1/2'], /needs the matrix's --scenario list/],
    ['an unknown scenario', ['--kernel', 'debian', '--scenario', 'nope', '--shard', '1/1'], /unknown scenario "nope"/],
    ['a format merge writes', ['--kernel', 'debian', '--scenario', 'udp-pmtu', '--shard', '1/1', '--format', 'junit'], /--shard prints json, text, ktap/],
    ['with --tree', ['--tree', '/tmp', '--scenario', 'udp-pmtu', '--shard', '1/1'], /not with --tree or --git/],
    ['several kernels without --shard', ['--kernel', 'debian', 'debian-6.12', '--scenario', 'udp-pmtu'], /2 kernels: one run boots one kernel/],
    ['--run-id without --shard', ['--scenario', 'udp-pmtu', '--run-id', '42'], /--run-id .* needs --shard/],
  ];
  for (const [name, argv, msg] of refused) {
    it(name, async () => {
      const r = await runCli(['conform', ...argv]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});
