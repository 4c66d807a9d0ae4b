import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVmlinux, findCompressedPayload, readElfSections } from '../../../src/kernel/btf/index.ts';
import { elfSection } from '../../../src/kernel/btf/elf.ts';
import { ExitCode, PeerpropError } from '../../../src/core/errors.ts';
import { realKernel } from '../real-kernels.ts';

describe('vmlinux extraction from the real bzImages', () => {
  const expected = { debian: 'lz4', 'debian-6.12': 'zstd' } as const;
  for (const spec of ['debian', 'debian-6.12'] as const) {
    it(`${spec}: ${expected[spec]} payload -> ELF vmlinux with .BTF`, async () => {
      const k = await realKernel(spec);
      const { payload } = await findCompressedPayload(k.vmlinuz);
      expect(payload?.compression).toBe(expected[spec]);
      expect(payload?.fromHeader).toBe(true);
      const x = await extractVmlinux(k.vmlinuz);
      expect(x.compression).toBe(expected[spec]);
      expect(x.vmlinux.length).toBeGreaterThan(20_000_000);
      const sections = readElfSections(x.vmlinux);
      const names = sections.map((s) => s.name);
      expect(names).toContain('.text');
      expect(names).toContain('.BTF');
      const btf = elfSection(x.vmlinux, '.BTF')!;
      expect(btf.readUInt16LE(0)).toBe(0xeb9f);
      // The banner string of the header is also inside the kernel proper.
      expect(x.vmlinux.includes(Buffer.from(k.release))).toBe(true);
    });
  }

  it('a file without a compressed kernel is bad input', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-x-'));
    const f = path.join(dir, 'img');
    await writeFile(f, Buffer.alloc(100_000, 7));
    await expect(extractVmlinux(f)).rejects.toSatisfy((e: unknown) => e instanceof PeerpropError && e.exitCode === ExitCode.BadInput);
  });

  it('a gzip payload (older kernels) decompresses through node:zlib', async () => {
    // A minimal "bzImage-less" image: a gzip stream of a tiny ELF header, found by the magic scan.
    const { gzipSync } = await import('node:zlib');
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = 2;
    elf[5] = 1;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-x-'));
    const f = path.join(dir, 'img');
    await writeFile(f, Buffer.concat([Buffer.alloc(4096, 0), gzipSync(elf)]));
    const x = await extractVmlinux(f);
    expect(x.compression).toBe('gzip');
    expect(x.vmlinux.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('an xz payload decompresses with the xz tool', async () => {
    const { $ } = await import('zx');
    const elf = Buffer.alloc(4096);
    elf.write('\x7fELF', 0, 'latin1');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-x-'));
    const raw = path.join(dir, 'raw');
    await writeFile(raw, elf);
    await $({ quiet: true })`xz -k --check=crc32 ${raw}`;
    const { readFile } = await import('node:fs/promises');
    const f = path.join(dir, 'img');
    await writeFile(f, Buffer.concat([Buffer.alloc(1024, 0), await readFile(raw + '.xz'), Buffer.from([0, 0x10, 0, 0])]));
    const x = await extractVmlinux(f);
    expect(x.compression).toBe('xz');
    expect(x.vmlinux.length).toBe(4096);
  });
});

describe('ELF section table read from disk', () => {
  it('finds .BTF in an extracted vmlinux without reading the whole file, same bytes as in memory', async () => {
    const { readElfFileSections } = await import('../../../src/kernel/btf/elf.ts');
    const k = await realKernel('debian');
    const x = await extractVmlinux(k.vmlinuz);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-elf-'));
    const f = path.join(dir, 'vmlinux');
    await writeFile(f, x.vmlinux);
    const r = (await readElfFileSections(f, '.BTF'))!;
    expect(r.sections.map((s) => s.name)).toEqual(readElfSections(x.vmlinux).map((s) => s.name));
    expect(r.data!.equals(elfSection(x.vmlinux, '.BTF')!)).toBe(true);
    expect(await readElfFileSections('/etc/hostname')).toBeUndefined();
  });
});
