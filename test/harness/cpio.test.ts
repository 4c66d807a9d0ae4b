import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { normalisePath, readNewc, writeNewc, type CpioEntry } from '../../src/harness/cpio.ts';

const sample: CpioEntry[] = [
  { type: 'dir', path: 'bin' },
  { type: 'file', path: 'bin/hello', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  { type: 'file', path: 'etc/peerprop/probes', data: Buffer.from('p:rtg/x sym a=%di:x64\n') },
  { type: 'file', path: 'odd-size', data: Buffer.alloc(5, 7) },
];

describe('writeNewc', () => {
  it('is read by GNU cpio -t and extracted by busybox cpio with contents, modes and links', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-cpio-'));
    try {
      const archive = join(dir, 'a.cpio');
      await writeFile(archive, writeNewc(sample));
      const list = (await $({ quiet: true, input: await readFile(archive) })`cpio -t --quiet`).stdout.trim().split('\n');
      // Parents first: dev and etc, etc/peerprop were added by the writer.
      expect(list).toEqual(['bin', 'bin/hello', 'bin/sh', 'dev', 'dev/console', 'etc', 'etc/peerprop', 'etc/peerprop/probes', 'odd-size']);
      const out = join(dir, 'x');
      await $({ quiet: true })`mkdir -p ${out}`;
      await $({ quiet: true, cwd: out, input: await readFile(archive) })`busybox cpio -i -d`;
      expect(await readFile(join(out, 'bin/hello'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
      expect((await stat(join(out, 'bin/hello'))).mode & 0o777).toBe(0o755);
      expect(await readlink(join(out, 'bin/sh'))).toBe('busybox');
      expect(await readFile(join(out, 'etc/peerprop/probes'), 'utf8')).toBe('p:rtg/x sym a=%di:x64\n');
      expect(await readFile(join(out, 'odd-size'))).toEqual(Buffer.alloc(5, 7));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pads every header+name and every data block to 4 bytes and ends with TRAILER!!!', () => {
    const buf = writeNewc(sample);
    expect(buf.length % 4).toBe(0);
    expect(buf.subarray(0, 6).toString()).toBe('070701');
    expect(buf.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
    const recs = readNewc(buf);
    const console = recs.find((r) => r.name === 'dev/console')!;
    expect(console.mode & 0o170000).toBe(0o020000);
    expect([console.rdevmajor, console.rdevminor]).toEqual([5, 1]);
  });

  it('reads concatenated archives (base + run part), as the kernel does', () => {
    const a = writeNewc([{ type: 'file', path: 'init', data: 'x' }]);
    const b = writeNewc([{ type: 'file', path: 'etc/p', data: 'y' }], { firstInode: 1000 });
    expect(readNewc(Buffer.concat([a, b])).map((r) => r.name)).toEqual(['init', 'etc', 'etc/p']);
  });

  it('refuses paths that escape the archive and duplicates', () => {
    expect(() => writeNewc([{ type: 'file', path: '../x', data: '' }])).toThrow(/escapes/);
    expect(() => writeNewc([{ type: 'file', path: 'a', data: '' }, { type: 'file', path: './a', data: '' }])).toThrow(/duplicate/);
    expect(normalisePath('/bin//sh/')).toBe('bin/sh');
  });

  it('round-trips any set of files (property)', () => {
    const name = fc.stringMatching(/^[a-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    const file = fc.record({ dirs: fc.array(name, { maxLength: 3 }), base: name, data: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(file, { maxLength: 12 }), (files) => {
        const seen = new Set<string>();
        const entries: CpioEntry[] = [];
        for (const f of files) {
          const path = [...f.dirs.map((d) => `d_${d}`), `f_${f.base}`].join('/');
          if (seen.has(path)) continue;
          seen.add(path);
          entries.push({ type: 'file', path, data: Buffer.from(f.data) });
        }
        const back = readNewc(writeNewc(entries));
        for (const e of entries) {
          const r = back.find((x) => x.name === e.path);
          expect(r).toBeDefined();
          expect(Buffer.compare(r!.data, (e as { data: Buffer }).data)).toBe(0);
        }
        // Every parent precedes its children.
        back.forEach((r, i) => {
          const parent = r.name.split('/').slice(0, -1).join('/');
          if (parent) expect(back.findIndex((x) => x.name === parent)).toBeLessThan(i);
        });
      }),
      { numRuns: 60 },
    );
  });
});
