import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadKernelTypes, WANTED_MEMBERS, extractVmlinux } from '../../../src/kernel/btf/index.ts';
import type { LoadTypesStats } from '../../../src/kernel/btf/facts.ts';
import { ExitCode, PeerpropError } from '../../../src/core/errors.ts';
import type { KernelTypes } from '../../../src/kernel/btf/index.ts';
import { realKernel, MEASURED } from '../real-kernels.ts';

async function types(spec: 'debian' | 'debian-6.12'): Promise<{ t: KernelTypes; release: string }> {
  const k = await realKernel(spec);
  return { t: await loadKernelTypes(k), release: k.release };
}

describe('kernel type facts from BTF', () => {
  it('member offsets: as measured for the documented releases, else consistent and different between 6.1 and 6.12', async () => {
    const a = await types('debian');
    const b = await types('debian-6.12');
    for (const { t, release } of [a, b]) {
      const measured = MEASURED[release];
      if (measured) {
        for (const [p, off] of Object.entries(measured)) expect(t.members[p]?.offset, `${release} ${p}`).toBe(off);
      }
      // Structure that holds in every build of these eras.
      const rt = t.members['rtable.rt_genid']!;
      expect(rt.size).toBe(4);
      expect(rt.signed).toBe(true);
      expect(rt.offset).toBeGreaterThanOrEqual(t.structSizes['dst_entry']!); // after the embedded dst_entry
      expect(t.members['rtable.dst']!.offset).toBe(0);
      expect(t.members['rtable.rt_flags']!.offset).toBe(rt.offset + 4);
      expect(t.members['dst_entry.obsolete']).toMatchObject({ size: 2, signed: true });
      expect(t.members['dst_entry.dev']).toMatchObject({ offset: 0, pointer: true, pointee: 'net_device' });
      expect(t.members['net_device.nd_net.net']).toMatchObject({ pointer: true, pointee: 'net' });
      expect(t.members['net.ipv4.rt_genid.counter']!.offset).toBe(t.members['net.ipv4.rt_genid']!.offset);
      expect(t.members['sock.sk_dst_cache']).toMatchObject({ pointer: true, pointee: 'dst_entry' });
      // The PMTU bitfield shares a 32-bit unit with rt_mtu_locked.
      expect(t.members['rtable.rt_pmtu']).toMatchObject({ size: 4, bitOffset: 1, bitSize: 31 });
      expect(t.members['rtable.rt_mtu_locked']).toMatchObject({ size: 4, bitOffset: 0, bitSize: 1 });
      expect(t.members['rtable.rt_pmtu']!.offset).toBe(t.members['rtable.rt_mtu_locked']!.offset);
      for (const f of ['fnhe_genid', 'fnhe_daddr', 'fnhe_pmtu', 'fnhe_gw']) expect(t.members[`fib_nh_exception.${f}`]!.offset).toBeLessThan(0x40);
      // Seed-era members do not exist in modern kernels: reported, not invented.
      expect(t.missingMembers).toContain('rtable.rt_peer_genid');
      expect(t.missingMembers).toContain('rtable.peer');
      // Every asked path is answered one way or the other.
      for (const p of WANTED_MEMBERS) expect(p in t.members || t.missingMembers.includes(p), p).toBe(true);
    }
    // The builds differ: rt_genid moved between 6.1 and 6.12.
    expect(a.t.members['rtable.rt_genid']!.offset).not.toBe(b.t.members['rtable.rt_genid']!.offset);
    expect(a.t.members['net_device.nd_net']!.offset).not.toBe(b.t.members['net_device.nd_net']!.offset);
    // The refcount moved from atomic_t __refcnt (6.1) to rcuref_t __rcuref (6.12).
    expect('dst_entry.__refcnt' in a.t.members).toBe(true);
    expect('dst_entry.__rcuref' in b.t.members).toBe(true);
  });

  it('prototypes: parameter names and order, which functions exist as BTF FUNCs', async () => {
    for (const spec of ['debian', 'debian-6.12'] as const) {
      const { t } = await types(spec);
      expect(t.functions['inet_getpeer']!.params.map((p) => p.name)).toEqual(['base', 'daddr']);
      expect(t.functions['update_or_create_fnhe']!.params.map((p) => p.name)).toEqual(['nhc', 'daddr', 'gw', 'pmtu', 'lock', 'expires']);
      expect(t.functions['__ip_rt_update_pmtu']!.params[1]).toMatchObject({ name: 'fl4', pointer: true, pointee: 'flowi4' });
      expect(t.functions['find_exception']).toMatchObject({ returnPointer: true, returnPointee: 'fib_nh_exception' });
      expect(t.functions['ipv4_dst_check']!.linkage).toBe('static');
      // Inlined everywhere in these builds: no BTF FUNC.
      for (const f of ['rt_bind_exception', 'rt_genid_bump_ipv4', 'fnhe_genid_bump', 'rt_is_expired']) expect(t.missingFunctions, f).toContain(f);
      // A compiler clone has no BTF FUNC under its base name either.
      expect(t.missingFunctions).toContain('rt_set_nexthop');
    }
  });

  it('a second load is served from the JSON cache', async () => {
    const k = await realKernel('debian');
    await loadKernelTypes(k);
    const stats: { cached?: boolean } = {};
    const again = await loadKernelTypes(k, { stats });
    expect(stats.cached).toBe(true);
    expect(again.members['rtable.rt_genid']).toBeDefined();
  });

  it('asking for a new path re-reads the cached BTF (no second extraction) and keeps the old answers', async () => {
    const k = { ...(await realKernel('debian-6.12')), workDir: await mkdtemp(path.join(os.tmpdir(), 'pp-types-')) };
    const first: LoadTypesStats = {};
    await loadKernelTypes(k, { stats: first });
    expect(first.cached).toBe(false);
    expect(first.extractMs).toBeGreaterThan(0);
    const stats: LoadTypesStats = {};
    const t = await loadKernelTypes(k, { wanted: { members: ['tcp_sock.snd_cwnd'], functions: ['tcp_v4_connect'] }, stats });
    expect(stats.cached).toBe(false);
    expect(stats.extractMs).toBeUndefined();
    expect(t.members['tcp_sock.snd_cwnd']!.size).toBe(4);
    expect(t.functions['tcp_v4_connect']!.params.length).toBe(3);
    expect(t.members['rtable.rt_genid']).toBeDefined();
    const again: LoadTypesStats = {};
    await loadKernelTypes(k, { wanted: { members: ['tcp_sock.snd_cwnd'], functions: [] }, stats: again });
    expect(again.cached).toBe(true);
  });

  it('a vmlinux with neither BTF nor DWARF: environment missing, one line', async () => {
    const k = { ...(await realKernel('debian')), btf: { kind: 'vmlinux' as const, path: '/usr/bin/true' }, workDir: await mkdtemp(path.join(os.tmpdir(), 'pp-types-')) };
    const e = await loadKernelTypes(k).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(PeerpropError);
    expect((e as PeerpropError).exitCode).toBe(ExitCode.EnvMissing);
    expect((e as PeerpropError).oneLine()).toMatch(/has no \.BTF section/);
  });

  it('a vmlinux file (a build tree\'s) gives the same facts as its bzImage', async () => {
    const k = await realKernel('debian-6.12');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-types-'));
    const f = path.join(dir, 'vmlinux');
    await writeFile(f, (await extractVmlinux(k.vmlinuz)).vmlinux);
    const fromFile = await loadKernelTypes({ ...k, btf: { kind: 'vmlinux', path: f }, workDir: dir });
    const fromImage = await loadKernelTypes(k);
    expect(fromFile.source).toBe(`BTF of ${f}`);
    for (const p of ['rtable.rt_genid', 'net.ipv4.rt_genid.counter', 'rtable.rt_pmtu']) expect(fromFile.members[p]).toEqual(fromImage.members[p]);
    expect(fromFile.functions['ipv4_dst_check']).toEqual(fromImage.functions['ipv4_dst_check']);
  });
});
