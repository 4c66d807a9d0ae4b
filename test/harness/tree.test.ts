/**
 * `conform --tree`: Debian's linux-source-6.1 built out of tree with our config fragment
 * (tinyconfig-based, about 5 minutes on 2 cores the first time; cached afterwards) and booted.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runConform } from '../../src/harness/conform.ts';
import { buildTreeKernel } from '../../src/harness/build-kernel.ts';
import { ExitCode, PeerpropError } from '../../src/core/errors.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TREE = process.env.PEERPROP_TEST_TREE ?? '/usr/src/linux-source-6.1';
const haveTree = existsSync(`${TREE}/Makefile`) && existsSync(`${TREE}/net/ipv4/route.c`);

describe.skipIf(!haveTree)(`conform --tree ${TREE}`, () => {
  it('builds a small test kernel (cached) whose config has every requested value', { timeout: 1_800_000 }, async () => {
    const k = await buildTreeKernel(TREE);
    expect(existsSync(k.bzImage)).toBe(true);
    expect(existsSync(k.vmlinux)).toBe(true);
    const again = await buildTreeKernel(TREE);
    expect(again.cached).toBe(true);
    expect(again.bzImage).toBe(k.bzImage);
  });

  it('refuses a fragment whose request does not survive olddefconfig (merge_config.sh\'s check)', { timeout: 600_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-frag-'));
    try {
      const frag = join(dir, 'bad.config');
      await writeFile(frag, '# an option no kernel has\nCONFIG_PEERPROP_NO_SUCH_OPTION=y\n');
      const err = await buildTreeKernel(TREE, { fragments: [frag], cacheDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PeerpropError);
      expect((err as PeerpropError).exitCode).toBe(ExitCode.BadInput);
      expect((err as PeerpropError).message).toMatch(/Value requested for CONFIG_PEERPROP_NO_SUCH_OPTION not in final \.config/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('boots it and runs the scenarios', { timeout: 1_800_000 }, async () => {
    const r = await runConform({ tree: TREE, scenarios: ['udp-pmtu', 'redirect-gateway', 'redirect-stranger', 'pmtu-min-clamp', 'flush'], log: () => {} });
    const failed = r.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.reason}`);
    expect(failed).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.Clean);
    expect(r.kernel.release).toMatch(/^6\.1\./);
  });
});

if (!haveTree) {
  describe('conform --tree', () => {
    it.skip(`skipped: no kernel tree at ${TREE} (scripts/setup.sh unpacks linux-source-6.1 there)`, () => {});
  });
}
