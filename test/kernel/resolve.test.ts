import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile, stat, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveKernel, describeKernel, defaultCacheDir } from '../../src/kernel/index.ts';
import { ExitCode, PeerpropError } from '../../src/core/errors.ts';
import { realKernel } from './real-kernels.ts';

async function errorOf(p: Promise<unknown>): Promise<PeerpropError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PeerpropError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('resolveKernel: Debian cloud kernels', () => {
  for (const spec of ['debian', 'debian-6.12'] as const) {
    it(`${spec}: package, image, modules and config from the archive`, async () => {
      const k = await realKernel(spec);
      expect(k.origin).toBe('debian');
      expect(k.package?.metapackage).toBe(spec === 'debian' ? 'linux-image-cloud-amd64' : 'linux-image-6.12-cloud-amd64');
      expect(k.package?.name).toBe(`linux-image-${k.release}`);
      expect(k.release).toMatch(spec === 'debian' ? /^6\.1\.\d+-\d+-cloud-amd64$/ : /^6\.12\.\d+\+deb\d+-cloud-amd64$/);
      // The banner comes from the bzImage's setup header and names the same release.
      expect(k.banner.startsWith(k.release + ' ')).toBe(true);
      expect(k.version.slice(0, 2)).toEqual(spec === 'debian' ? [6, 1] : [6, 12]);
      expect((await stat(k.vmlinuz)).size).toBeGreaterThan(5_000_000);
      expect(k.tunModule).toMatch(/\/tun\.ko(\.xz|\.zst)?$/);
      expect(k.config && (await readFile(k.config, 'utf8'))).toMatch(/^CONFIG_KPROBE_EVENTS=y$/m);
      expect(k.btf).toEqual({ kind: 'bzimage', image: k.vmlinuz });
      expect(describeKernel(k)).toContain(k.release);
      // Outside the repository, in the cache.
      expect(k.root!.startsWith(path.join(defaultCacheDir(), 'kernels'))).toBe(true);
    });
  }

  it('a second resolve finds the unpacked copy', async () => {
    const k = await realKernel('debian');
    const lines: string[] = [];
    const again = await resolveKernel('debian', { log: (l) => lines.push(l) });
    expect(again.vmlinuz).toBe(k.vmlinuz);
    expect(lines.join('\n')).toContain('(cached)');
    expect(lines.join('\n')).not.toContain('downloading');
  });

  it('offline with an empty cache: environment missing, one line', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'peerprop-cache-'));
    const e = await errorOf(resolveKernel('debian', { cacheDir: empty, offline: true, log: () => {} }));
    expect(e.exitCode).toBe(ExitCode.EnvMissing);
    expect(e.oneLine()).not.toContain('\n');
    expect(e.oneLine()).toContain('linux-image-cloud-amd64');
  });

  it('offline with a cached copy uses it', async () => {
    const k = await realKernel('debian');
    const cacheDir = path.dirname(path.dirname(k.root!));
    const again = await resolveKernel('debian', { cacheDir, offline: true, log: () => {} });
    expect(again.release).toBe(k.release);
  });
});

describe('resolveKernel: a user path', () => {
  it('reads a bzImage in place and detects its version from the setup header', async () => {
    const deb = await realKernel('debian-6.12');
    const k = await resolveKernel(deb.vmlinuz, { modulesDir: deb.modulesDir, cacheDir: await mkdtemp(path.join(os.tmpdir(), 'pp-')) });
    expect(k.origin).toBe('path');
    expect(k.release).toBe(deb.release);
    expect(k.banner).toBe(deb.banner);
    expect(k.tunModule).toBe(deb.tunModule);
    expect(k.btf).toEqual({ kind: 'bzimage', image: deb.vmlinuz });
  });

  it('a missing path is bad input (exit 2)', async () => {
    const e = await errorOf(resolveKernel('/no/such/bzImage'));
    expect(e.exitCode).toBe(ExitCode.BadInput);
    expect(e.oneLine()).toMatch(/^\/no\/such\/bzImage: no such kernel image/);
  });

  it('a file that is not a bzImage is bad input (exit 2)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-'));
    const f = path.join(dir, 'vmlinuz');
    await writeFile(f, Buffer.alloc(4096, 0x41));
    const e = await errorOf(resolveKernel(f));
    expect(e.exitCode).toBe(ExitCode.BadInput);
    expect(e.oneLine()).toContain('not a bzImage');
  });

  it('a directory is bad input', async () => {
    const e = await errorOf(resolveKernel(os.tmpdir()));
    expect(e.exitCode).toBe(ExitCode.BadInput);
  });
});

describe('resolveKernel: preferCache', () => {
  it('returns the cached copy of the named kernel', async () => {
    const k = await realKernel('debian-6.12');
    const fast = await resolveKernel('debian-6.12', { preferCache: true, log: () => {} });
    expect(fast.vmlinuz).toBe(k.vmlinuz);
    expect(fast.package).toEqual(k.package);
  });
});

describe('apt answers are remembered while the package lists are unchanged', () => {
  it('writes the answer next to the kernels', async () => {
    const k = await realKernel('debian');
    const { readFile } = await import('node:fs/promises');
    const memo = JSON.parse(await readFile(path.join(defaultCacheDir(), 'kernels', 'apt-answers.json'), 'utf8'));
    expect(memo.answers['linux-image-cloud-amd64']).toEqual(k.package);
    expect(memo.key).toContain('/var/lib/apt/lists:');
  });
});

describe('resolveKernel: --vmlinux with a raw BTF blob (a copy of /sys/kernel/btf/vmlinux)', () => {
  it('is recognised by its magic and read as raw BTF', async () => {
    const { loadKernelTypes } = await import('../../src/kernel/btf/index.ts');
    const deb = await realKernel('debian');
    await loadKernelTypes(deb); // leaves <workDir>/vmlinux.btf, the same bytes as the guest's /sys/kernel/btf/vmlinux
    const raw = path.join(deb.workDir, 'vmlinux.btf');
    const k = await resolveKernel(deb.vmlinuz, { vmlinux: raw, cacheDir: await mkdtemp(path.join(os.tmpdir(), 'pp-')) });
    expect(k.btf).toEqual({ kind: 'raw', path: raw });
    const t = await loadKernelTypes(k);
    expect(t.source).toBe(`raw BTF ${raw}`);
    expect(t.members['rtable.rt_genid']).toEqual((await loadKernelTypes(deb)).members['rtable.rt_genid']);
  });
});
