import { describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCompanions, resolveKernel, kernelEra, detectEra, parseSystemMap } from '../../src/kernel/index.ts';
import { defaultEra } from '../../src/probes/index.ts';
import type { KernelTypes } from '../../src/kernel/btf/types.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { haveSeedKernels, PATCH_COMMIT, STABLE_2639 } from './seed-kernels.ts';

const quiet = { log: () => {} };

function types(members: string[], functions: Record<string, string[]>): KernelTypes {
  return {
    schema: 0, source: 'test', format: 'btf', members: Object.fromEntries(members.map((m) => [m, { path: m, offset: 0, size: 4, type: 'u32' }])),
    missingMembers: [], structSizes: {},
    functions: Object.fromEntries(Object.entries(functions).map(([n, ps]) => [n, { name: n, params: ps.map((p) => ({ name: p, type: 'int', size: 4 })), returns: 'void', returnSize: 0 }])),
    missingFunctions: [],
  };
}

describe('era from the code, not the version', () => {
  it('the patch commit alone: genid, no bumper helpers, the counter in read-only data', () => {
    const d = detectEra(types(['rtable.rt_peer_genid', 'rtable.peer'], { rt_bind_peer: ['rt', 'create'] }), parseSystemMap('ffffffff81428bf4 r __rt_peer_genid\n'));
    expect(d?.era).toBe('seed');
    expect(d?.evidence.join(' ')).toMatch(/read-only/);
  });
  it('2.6.39: check_peer_pmtu and a writable counter; rt_bind_peer(rt, create) is stage S2', () => {
    const d = detectEra(types(['rtable.rt_peer_genid'], { rt_bind_peer: ['rt', 'create'], check_peer_pmtu: ['dst', 'peer'] }), parseSystemMap('ffffffff817310a0 b __rt_peer_genid\n'));
    expect(d).toMatchObject({ era: 'pmtu-redirect', stage: 'S2' });
  });
  it('3.0: rt_bind_peer(rt, daddr, create) is S3; ipv4_validate_peer with redirect_genid S4, without S5', () => {
    expect(detectEra(types(['rtable.rt_peer_genid'], { rt_bind_peer: ['rt', 'daddr', 'create'], check_peer_pmtu: [] }))?.stage).toBe('S3');
    expect(detectEra(types(['rtable.rt_peer_genid', 'inet_peer.redirect_genid'], { ipv4_validate_peer: ['rt'] }))?.stage).toBe('S4');
    expect(detectEra(types(['rtable.rt_peer_genid'], { ipv4_validate_peer: ['rt'] }))?.stage).toBe('S5');
  });
  it('next-hop exceptions are fnhe; a route cache without the genid is pre-genid; nothing known is undefined', () => {
    expect(detectEra(types(['fib_nh_exception.fnhe_daddr'], { update_or_create_fnhe: [] }))?.era).toBe('fnhe');
    expect(detectEra(types(['rtable.peer'], { rt_bind_peer: ['rt', 'create'] }))?.era).toBe('pre-genid');
    expect(detectEra(types([], {}))).toBeUndefined();
  });
  it('parses System.map lines and ignores a one-line stub', () => {
    const m = parseSystemMap('ffffffff811b19f0 t ipv4_dst_check\nffffffff817310a0 b __rt_peer_genid\nnot a map line\n');
    expect([...m]).toEqual([['ipv4_dst_check', 't'], ['__rt_peer_genid', 'b']]);
    expect(parseSystemMap('ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n').size).toBe(1);
  });
});

describe('a kernel given as a directory', () => {
  it('an empty directory, or one without a kernel image, is bad input', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-kdir-'));
    await writeFile(path.join(dir, 'System.map'), '');
    const e = await findCompanions(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PeerpropError);
    expect((e as PeerpropError).exitCode).toBe(2);
    expect((e as PeerpropError).oneLine()).toMatch(/no bzImage or vmlinuz in this directory/);
  });

  it('a damaged vmlinux.xz is bad input, naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-kdir-'));
    const cache = await mkdtemp(path.join(os.tmpdir(), 'pp-kcache-'));
    await writeFile(path.join(dir, 'vmlinux.xz'), 'not xz');
    const c = await findCompanions(dir).catch(() => undefined);
    expect(c).toBeUndefined(); // no image here either
    await mkdir(path.join(dir, 'k'));
    if (haveSeedKernels) {
      await copyFile(path.join(STABLE_2639, 'bzImage'), path.join(dir, 'k', 'bzImage'));
      await writeFile(path.join(dir, 'k', 'vmlinux.xz'), 'not xz');
      const e = await resolveKernel(path.join(dir, 'k'), { cacheDir: cache, ...quiet }).catch((x: unknown) => x);
      expect((e as PeerpropError).exitCode).toBe(2);
      expect((e as PeerpropError).oneLine()).toMatch(/vmlinux\.xz: cannot decompress/);
    }
  });
});

describe.skipIf(!haveSeedKernels)('the shared seed-era kernels', () => {
  it('finds bzImage, vmlinux.xz, System.map and config from the directory or from the bzImage', async () => {
    for (const spec of [PATCH_COMMIT, path.join(PATCH_COMMIT, 'bzImage')]) {
      const c = await findCompanions(spec);
      expect(c).toMatchObject({
        image: path.join(PATCH_COMMIT, 'bzImage'), vmlinux: path.join(PATCH_COMMIT, 'vmlinux.xz'), vmlinuxCompressed: 'xz',
        systemMap: path.join(PATCH_COMMIT, 'System.map'), config: path.join(PATCH_COMMIT, 'config'),
      });
    }
  });

  it('the patch commit calls itself 2.6.38-rc2; its code says seed (the version would say pre-genid)', { timeout: 120_000 }, async () => {
    const k = await resolveKernel(PATCH_COMMIT, quiet);
    expect(k.release).toBe('2.6.38-rc2');
    expect(defaultEra(k.version)).toBe('pre-genid');
    expect(k.btf.kind).toBe('vmlinux'); // the decompressed vmlinux, in the cache
    expect(k.systemMap).toBe(path.join(PATCH_COMMIT, 'System.map'));
    const d = await kernelEra(k, defaultEra);
    expect(d.era).toBe('seed');
    expect(d.evidence).toEqual(expect.arrayContaining(['rtable.rt_peer_genid', '__rt_peer_genid in read-only data (nothing bumps it)']));
  });

  it('2.6.39.3 is pmtu-redirect, stage S2 (rt_bind_peer has no daddr yet)', { timeout: 120_000 }, async () => {
    const k = await resolveKernel(path.join(STABLE_2639, 'bzImage'), quiet);
    expect(k.release).toBe('2.6.39.3');
    const d = await kernelEra(k, defaultEra);
    expect(d).toMatchObject({ era: 'pmtu-redirect', stage: 'S2' });
    expect(d.evidence.join('; ')).toMatch(/check_peer_pmtu/);
    // gcc inlined check_peer_redir everywhere (no symbol, no BTF FUNC): the DWARF still has it, so
    // its redirects are the era's (a merge-window commit before f39925db would say false).
    expect(parseSystemMap(readFileSync(path.join(STABLE_2639, 'System.map'), 'utf8')).has('check_peer_redir')).toBe(false);
    expect(d.redirectsInPeer).toBeUndefined();
    expect(d.evidence.join('; ')).not.toMatch(/redirects not yet in the inetpeer/);
  });
});
