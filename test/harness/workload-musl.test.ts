import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { buildWorkload, workloadLibcFor } from '../../src/harness/workload-build.ts';
import { isStaticElf } from '../../src/harness/initramfs.ts';

const haveMusl = (await $({ quiet: true, nothrow: true })`command -v musl-gcc`).exitCode === 0;

describe('which libc the in-VM workload is built with', () => {
  it('musl for every routing-cache era and under glibc\'s floor (3.2); glibc for modern kernels', () => {
    expect(workloadLibcFor('seed', [2, 6, 38])).toBe('musl');
    expect(workloadLibcFor('pmtu-redirect', [3, 5, 0])).toBe('musl');
    expect(workloadLibcFor('fnhe', [3, 1, 0])).toBe('musl');
    expect(workloadLibcFor('fnhe', [6, 1, 0])).toBe('glibc');
    expect(workloadLibcFor('fnhe', [0, 0, 0])).toBe('glibc'); // version unknown: the modern default
  });
});

describe.skipIf(!haveMusl)('the musl build', () => {
  it('a static binary, cached by sources + compiler + libc', { timeout: 120_000 }, async () => {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pp-musl-'));
    const a = await buildWorkload({ cacheDir, libc: 'musl' });
    expect(a.cached).toBe(false);
    const bin = await readFile(a.path);
    expect(isStaticElf(bin)).toBe(true);
    expect(bin.includes(Buffer.from('glibc'))).toBe(false);
    const b = await buildWorkload({ cacheDir, libc: 'musl' });
    expect(b).toMatchObject({ cached: true, path: a.path });
    const g = await buildWorkload({ cacheDir });
    expect(g.hash).not.toBe(a.hash);
    expect((await readFile(g.path)).includes(Buffer.from('glibc'))).toBe(true);
  });
});
