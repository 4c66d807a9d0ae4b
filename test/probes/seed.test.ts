import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { generateProbes, type ProbeSet } from '../../src/probes/index.ts';
import { parseProbeLine, type ParsedProbeLine } from '../../src/probes/grammar.ts';
import { parseProbeMap } from '../../src/trace/probemap.ts';
import type { KernelInfo } from '../../src/kernel/index.ts';
import { sharedTraces } from './capture.ts';

const q = $({ quiet: true, nothrow: true });
const haveTools = (await q`command -v gcc`).exitCode === 0 && (await q`command -v gdb`).exitCode === 0;
const FIXTURE = fileURLToPath(new URL('../kernel/btf/fixtures/seed-types.c', import.meta.url));

/** The probes registered on the real 3.0.1 runs (console log), without group. */
async function seedConsoleProbes(): Promise<ParsedProbeLine[]> {
  const text = await readFile(path.join(sharedTraces, 'linux-3.0.1_run1-s1.console-raw.log'), 'latin1');
  return text.replace(/\r/g, '').split('\n').filter((l) => /^[pr]:kprobes\//.test(l)).map((l) => parseProbeLine(l) as ParsedProbeLine);
}

describe.skipIf(!haveTools)('seed-era probes from DWARF (a self-built 3.x kernel without BTF)', () => {
  let set: ProbeSet;
  let offsets: Map<string, number>;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-seed-'));
    const exe = path.join(dir, 'vmlinux');
    await $({ quiet: true })`gcc -g -O1 -o ${exe} ${FIXTURE}`;
    offsets = new Map((await $({ quiet: true })`${exe}`).stdout.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));
    const k: KernelInfo = {
      spec: exe, origin: 'path', release: '3.0.1', banner: '3.0.1 (fixture) #1', version: [3, 0, 1], vmlinuz: exe,
      btf: { kind: 'vmlinux', path: exe }, workDir: dir,
    };
    set = await generateProbes(k);
  });

  it('era and syntax follow the version: pmtu-redirect, register syntax, no x types', () => {
    expect(set.era).toBe('pmtu-redirect');
    expect(set.syntax).toBe('regs');
    // DWARF only: pahole encodes it as BTF when installed, gdb reads it otherwise.
    expect(set.kernel.btf).toMatch(/^(DWARF of |BTF encoded by pahole .* from the DWARF of )/);
    for (const p of set.probes) expect(p.line, p.line).not.toMatch(/:x(8|16|32|64)\b/);
    expect(set.probeMap.radix).toBe('hex');
  });

  it('offsets from the DWARF, registers from the prototypes, the genid as @__rt_peer_genid', () => {
    const bind = set.probes.find((p) => p.event === 'bind')!.line;
    const hex = (k: string) => `0x${offsets.get(k)!.toString(16)}`;
    expect(bind).toBe(
      `p:rtg/bind rt_bind_peer rt=%di:u64 daddr=%si:u32 create=%dx:s32 peer=+${hex('rtable.peer')}(%di):u64 rt_pgenid=+${hex('rtable.rt_peer_genid')}(%di):u32 g=@__rt_peer_genid:u32`,
    );
    expect(set.probes.find((p) => p.event === 'frag_needed')!.line).toBe(
      `p:rtg/frag_needed ip_rt_frag_needed daddr=+${hex('iphdr.daddr')}(%si):u32 tot_len=+${hex('iphdr.tot_len')}(%si):u16 new_mtu=%dx:u16 g=@__rt_peer_genid:u32 min_pmtu=@ip_rt_min_pmtu:u32`,
    );
    expect(set.probes.find((p) => p.event === 'getpeer')!.line).toBe(
      `p:rtg/getpeer inet_getpeer daddr=+0(%di):u32 family=+${hex('inetpeer_addr.family')}(%di):u16 create=%si:s32`,
    );
    expect(set.kallsyms.symbols).toContain('__rt_peer_genid');
  });

  it('the same probes and field names as the real 3.0.1 captures (except the instruction-offset probe)', async () => {
    const ref = await seedConsoleProbes();
    expect(ref.length).toBeGreaterThan(10);
    for (const r of ref) {
      if (r.offset !== undefined) {
        // rt_bind_peer+84 depends on the build's code layout: reported, not generated.
        expect(set.notes.join('\n')).toContain('instruction-offset');
        continue;
      }
      const g = set.probes.find((p) => p.event === r.event);
      expect(g, r.event).toBeDefined();
      const gp = parseProbeLine(g!.line) as ParsedProbeLine;
      expect(gp.type).toBe(r.type);
      expect(gp.symbol).toBe(r.symbol);
      // The captures' fields first, in their order; then only the reads the PMTU/redirect outcome
      // checks add (the route's MTU after the check, jiffies, ip_rt_min_pmtu).
      const n = r.args.length;
      expect(gp.args.slice(0, n).map((a) => a.name)).toEqual(r.args.map((a) => a.name));
      expect(gp.args.slice(0, n).map((a) => a.type)).toEqual(r.args.map((a) => a.type));
      for (const a of gp.args.slice(n)) expect(['metrics', 'mtu_k', 'mtu_k1', 'dev_mtu', 'jiffies', 'jiffies_vvar', 'min_pmtu'], `${r.event}: ${a.name}`).toContain(a.name);
    }
  });

  it('the probe map is valid; binds inlined into route.c are derived from inet_getpeer and its caller', () => {
    const map = parseProbeMap(set.probeMap, 'generated-seed');
    const rules = map.rules.filter((r) => r.probe === 'getpeer_ret');
    expect(rules.find((r) => r.caller?.includes('ipv4_dst_check'))?.emit.map((e) => e.kind)).toEqual(['bind', 'bind_ret']);
    expect(map.pairs?.find((p) => p.entry === 'frag_needed')?.return).toEqual(['frag_needed_ret']);
    const cov = new Map(set.coverage.map((c) => [c.function, c]));
    expect(cov.get('rt_peer_genid')).toMatchObject({ status: 'via-caller' });
    expect(cov.get('rt_bind_peer')).toMatchObject({ status: 'probed' });
  });
});
