import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { buildInitramfs, findStaticBusybox, isStaticElf } from '../../src/harness/initramfs.ts';
import { buildWorkload } from '../../src/harness/workload-build.ts';
import { readNewc } from '../../src/harness/cpio.ts';
import { GUEST_PATHS } from '../../src/harness/guest-init.ts';
import { resolveKernel } from '../../src/kernel/index.ts';

describe('workload binary', () => {
  it('is built static once per content and cached', { timeout: 120_000 }, async () => {
    const a = await buildWorkload();
    const b = await buildWorkload();
    expect(b.path).toBe(a.path);
    expect(b.cached).toBe(true);
    expect(isStaticElf(await readFile(a.path))).toBe(true);
  });

  it('answers the one-pass kallsyms check (run here against the host\'s /proc/kallsyms)', async () => {
    const wl = await buildWorkload();
    const r = await $({ quiet: true })`${wl.path} --kallsyms schedule no_such_symbol_xyz`;
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('@@SYM_END');
    expect(lines).not.toContain(expect.stringMatching(/no_such_symbol_xyz/));
    // names are hidden (all zero addresses) only to unprivileged users; the names are always there
    expect(lines).toContain('@@SYM schedule schedule');
  });

  it('registers probes in one write, skipping symbols the kernel lacks (fake tracefs)', async () => {
    const wl = await buildWorkload();
    const dir = await mkdtemp(join(tmpdir(), 'pp-register-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'kprobe_events'), '');
      await writeFile(join(dir, 'error_log'), '');
      await writeFile(
        join(dir, 'probes'),
        'schedule\tp:rtg/sched schedule\t\nno_such_fn_xyz\tp:rtg/gone no_such_fn_xyz a=%di:x64\t\nschedule\tr:rtg/sched_ret schedule%return ret=$retval:x64\tr:rtg/sched_ret schedule\n',
      );
      await writeFile(join(dir, 'symbols'), 'schedule no_such_fn_xyz\n');
      const r = await $({ quiet: true, nothrow: true })`${wl.path} --register ${dir} ${join(dir, 'probes')} ${join(dir, 'symbols')}`;
      expect(r.stdout.split('\n')).toEqual(
        expect.arrayContaining(['@@SYM schedule schedule', '@@SYM_END', '@@PROBE_SKIP rtg/gone no_such_fn_xyz', '@@PROBE_OK p:rtg/sched schedule', '@@PROBE_OK r:rtg/sched_ret schedule%return ret=$retval:x64']),
      );
      expect(r.stdout).toMatch(/^@@PROBES ok=2 fail=0 skip=1 kallsyms_ms=\d+ register_ms=\d+$/m);
      expect(await readFile(join(dir, 'kprobe_events'), 'utf8')).toBe('p:rtg/sched schedule\nr:rtg/sched_ret schedule%return ret=$retval:x64\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports each refused definition and tries its fallback when the kernel refuses (fake tracefs)', async () => {
    const wl = await buildWorkload();
    const dir = await mkdtemp(join(tmpdir(), 'pp-register-'));
    try {
      const { mkdir, writeFile } = await import('node:fs/promises');
      await mkdir(join(dir, 'kprobe_events')); // every write fails, as a kernel refusing everything
      await writeFile(join(dir, 'error_log'), '[ 2.7] trace_kprobe: error: Invalid fetch argument\n');
      await writeFile(join(dir, 'probes'), 'schedule\tf:rtg/s schedule prev\tp:rtg/s schedule a=%di:x64\n');
      const r = await $({ quiet: true, nothrow: true })`${wl.path} --register ${dir} ${join(dir, 'probes')}`;
      expect(r.exitCode).toBe(1);
      const lines = r.stdout.trim().split('\n');
      // the batch's error_log is cleared before the one-by-one pass (each refusal gets its own)
      expect(lines.slice(0, 2)).toEqual(['@@PROBE_FAIL f:rtg/s schedule prev', '@@PROBE_FAIL p:rtg/s schedule a=%di:x64']);
      expect(lines[2]).toMatch(/^@@PROBES ok=0 fail=1 skip=0 /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown scenario without touching the network', async () => {
    const wl = await buildWorkload();
    const r = await $({ quiet: true, nothrow: true })`${wl.path} no-such-scenario`;
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/@@ERROR scenario=no-such-scenario unknown scenario/);
  });
});

describe('initramfs', () => {
  it('packs busybox, the workload, /init and the run inputs; decompresses tun.ko.xz; caches the base', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-initramfs-'));
    try {
      const k = await resolveKernel('debian-6.12', { log: () => {} });
      expect(k.tunModule).toMatch(/tun\.ko\.xz$/);
      const wl = await buildWorkload();
      const input = {
        workload: wl.path,
        tunModule: k.tunModule,
        probes: [{ symbol: 'ipv4_dst_check', line: 'p:rtg/dst_check ipv4_dst_check dst=%di:x64', fallback: 'p:rtg/dst_check ipv4_dst_check dst=%di:x64' }],
        symbols: ['ipv4_dst_check', 'ipv4_dst_check'],
        groups: ['rtg', 'rtg'],
        scenarios: ['udp-pmtu', 'flush'],
        output: join(dir, 'a.cpio'),
      };
      await buildInitramfs(input);
      const second = await buildInitramfs({ ...input, output: join(dir, 'b.cpio') });
      expect(second.baseCached).toBe(true);
      const recs = readNewc(await readFile(join(dir, 'b.cpio')));
      const get = (n: string) => recs.find((r) => r.name === n);
      expect(get('init')!.data.toString()).toMatch(/^#!\/bin\/sh\n/);
      expect(get('bin/sh')!.data.toString()).toBe('busybox');
      expect(Buffer.compare(get('bin/busybox')!.data, await readFile(await findStaticBusybox()))).toBe(0);
      expect(get(GUEST_PATHS.tunModule)!.data.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(get(GUEST_PATHS.probes)!.data.toString()).toBe('ipv4_dst_check\tp:rtg/dst_check ipv4_dst_check dst=%di:x64\tp:rtg/dst_check ipv4_dst_check dst=%di:x64\n');
      expect(get(GUEST_PATHS.symbols)!.data.toString()).toBe('ipv4_dst_check\n');
      expect(get(GUEST_PATHS.groups)!.data.toString()).toBe('rtg\n');
      expect(get(GUEST_PATHS.scenarios)!.data.toString()).toBe('udp-pmtu flush\n');
      expect(get('dev/console')!.rdevmajor).toBe(5);
      const info = await $({ quiet: true, nothrow: true, input: get(GUEST_PATHS.tunModule)!.data })`modinfo -F name /dev/stdin`;
      if (info.exitCode === 0) expect(info.stdout.trim()).toBe('tun');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
