import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { readDwarfTypes } from '../../../src/kernel/btf/dwarf.ts';
import { WANTED_FUNCTIONS, WANTED_MEMBERS } from '../../../src/kernel/btf/index.ts';
import type { KernelTypes } from '../../../src/kernel/btf/index.ts';

const q = $({ quiet: true, nothrow: true });
const haveTools = (await q`command -v gcc`).exitCode === 0 && (await q`command -v gdb`).exitCode === 0;
const FIXTURE = fileURLToPath(new URL('./fixtures/seed-types.c', import.meta.url));

describe.skipIf(!haveTools)('DWARF fallback (gdb) on a kernel-style fixture built with gcc -g', () => {
  let exe: string;
  let expected: Map<string, number>;
  let types: KernelTypes;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-dwarf-'));
    exe = path.join(dir, 'seed-types');
    await $({ quiet: true })`gcc -g -O1 -o ${exe} ${FIXTURE}`;
    const out = await $({ quiet: true })`${exe}`;
    expected = new Map(out.stdout.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));
    types = await readDwarfTypes(exe, { members: [...WANTED_MEMBERS, 'inet_peer.pmtu_learned'], functions: WANTED_FUNCTIONS });
  });

  it('member offsets equal what the compiler printed with offsetof', () => {
    expect(types.format).toBe('dwarf');
    for (const [p, off] of expected) expect(types.members[p]?.offset, p).toBe(off);
    expect(types.members['rtable.peer']).toMatchObject({ pointer: true, pointee: 'inet_peer', size: 8 });
    expect(types.members['dst_entry.obsolete']).toMatchObject({ size: 2, signed: true });
    expect(types.members['rtable.rt_pmtu']).toMatchObject({ bitSize: 31, bitOffset: 1, size: 4 });
    // Anonymous unions are walked like BTF's.
    expect(types.members['inetpeer_addr_base.a4']!.offset).toBe(0);
    // Modern members are absent here: reported missing.
    expect(types.missingMembers).toContain('rtable.rt_gw4');
    expect(types.missingMembers).toContain('fib_nh_exception.fnhe_genid');
  });

  it('prototypes with parameter names from the DWARF', () => {
    expect(types.functions['rt_bind_peer']!.params.map((p) => p.name)).toEqual(['rt', 'daddr', 'create']);
    expect(types.functions['rt_bind_peer']!.params[0]).toMatchObject({ pointer: true, pointee: 'rtable' });
    expect(types.functions['inet_getpeer']!.params.map((p) => p.name)).toEqual(['daddr', 'create']);
    expect(types.functions['ip_rt_frag_needed']).toMatchObject({ returnSize: 2 });
    expect(types.missingFunctions).toContain('update_or_create_fnhe');
    // Inlined everywhere: DWARF knows it, but there is no code to probe.
    expect(types.missingFunctions).toContain('rt_is_expired');
  });

  it('a file without DWARF answers nothing: every path is reported missing', async () => {
    await expect(readDwarfTypes('/etc/hostname', { members: ['rtable.rt_genid'], functions: [] })).resolves.toMatchObject({ missingMembers: ['rtable.rt_genid'] });
  });
});
