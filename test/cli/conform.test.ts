import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNewc } from '../../src/harness/cpio.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);

describe('peerprop conform: refused input (exit 2, one line, nothing on stdout)', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown scenario', ['conform', '--scenario', 'no-such-thing'], /unknown scenario "no-such-thing" \(known: udp-pmtu/],
    ['bad timeout', ['conform', '--timeout', '-3'], /--timeout/],
    ['bad format', ['conform', '--format', 'xml'], /argument 'xml' is invalid/],
    ['bad accel', ['conform', '--accel', 'hvf'], /argument 'hvf' is invalid/],
    ['a kernel path that does not exist', ['conform', '--kernel', '/nonexistent/bzImage', '--scenario', 'udp-pmtu'], /nonexistent/],
    ['a tree that is not a kernel tree', ['conform', '--tree', '/tmp', '--scenario', 'udp-pmtu'], /not a Linux source tree/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n').length).toBe(1);
    });
  }
});

describe('peerprop conform: environment missing (exit 3)', () => {
  it('no QEMU', async () => {
    const saved = process.env.PEERPROP_QEMU;
    process.env.PEERPROP_QEMU = '/nonexistent/qemu-system-x86_64';
    try {
      const r = await cli('conform', '--scenario', 'udp-pmtu');
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/QEMU not found/);
    } finally {
      if (saved === undefined) delete process.env.PEERPROP_QEMU;
      else process.env.PEERPROP_QEMU = saved;
    }
  });
});

describe('peerprop conform: a real run', () => {
  it('prints KTAP and keeps the bug-report files', { timeout: 300_000 }, async () => {
    const keep = await mkdtemp(join(tmpdir(), 'peerprop-keep-'));
    try {
      const r = await cli('conform', '--kernel', 'debian', '--scenario', 'redirect-gateway', 'redirect-stranger', '--format', 'ktap', '--keep', keep);
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.out).toMatch(/^KTAP version 1\n# peerprop conform: Debian linux-image-6\.1/);
      expect(r.out).toMatch(/^ {2}ok 1 redirect-gateway$/m);
      expect(r.out).toMatch(/^ {2}ok 2 redirect-stranger$/m);
      expect(r.out).toMatch(/^ok 1 conform 6\.1/m);
      const files = await readdir(keep);
      for (const f of ['console.log', 'capture.txt', 'trace.txt', 'probes.txt', 'initramfs.cpio', 'report.json']) expect(files).toContain(f);
      const names = readNewc(await readFile(join(keep, 'initramfs.cpio'))).map((e) => e.name);
      expect(names).toEqual(expect.arrayContaining(['init', 'bin/busybox', 'bin/tunwl', 'lib/modules/tun.ko', 'etc/peerprop/probes']));
      expect(await readFile(join(keep, 'capture.txt'), 'utf8')).toMatch(/@@TRACE_BEGIN[\s\S]*STEP redirect-gateway/);
      expect(JSON.parse(await readFile(join(keep, 'report.json'), 'utf8')).exitCode).toBe(0);
    } finally {
      await rm(keep, { recursive: true, force: true });
    }
  });

  it('JSON output is one document with every scenario', { timeout: 300_000 }, async () => {
    const r = await cli('conform', '--scenario', 'pmtu-min-clamp', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.scenarios.map((s: { name: string }) => s.name)).toEqual(['pmtu-min-clamp']);
    expect(doc.scenarios[0].contract.checks.some((c: { what: string; ok: boolean }) => /locked/.test(c.what) && c.ok)).toBe(true);
    expect(existsSync(doc.kept ?? '/nonexistent')).toBe(false);
  });
});
