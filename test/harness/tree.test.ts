/**
 * `conform --tree`: Debian's linux-source-6.1 built out of tree with our config fragment
 * (tinyconfig-based, about 5 minutes on 2 cores the first time; cached afterwards) and booted.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runConform } from '../../src/harness/conform.ts';
import { buildTreeKernel } from '../../src/harness/build-kernel.ts';
import { ExitCode } from '../../src/core/errors.ts';

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

  it('boots it and runs the scenarios', { timeout: 1_800_000 }, async () => {
    const r = await runConform({ tree: TREE, scenarios: ['udp-pmtu', 'redirect-gateway', 'redirect-stranger', 'pmtu-min-clamp', 'flush'], log: () => {} });
    const failed = r.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.reason}`);
    expect(failed).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.Clean);
    expect(r.kernel.release).toMatch(/^6\.1\./);
  });
});

describe.skipIf(haveTree)('conform --tree (skipped)', () => {
  it.skip(`no kernel tree at ${TREE} (scripts/setup.sh unpacks linux-source-6.1 there)`, () => {});
});
