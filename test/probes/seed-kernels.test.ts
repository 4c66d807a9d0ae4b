/**
 * Probes for the shared seed-era kernels: their DWARF encoded as BTF by pahole, offsets from
 * each build, prototypes of the function itself (not of what gcc inlined into its entry), and
 * lines the patch commit's 128-byte kprobe_events buffer takes.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { resolveKernel } from '../../src/kernel/index.ts';
import { generateProbes, type ProbeSet } from '../../src/probes/index.ts';
import { loadKernelTypes } from '../../src/kernel/btf/index.ts';
import { parseProbeLine } from '../../src/probes/grammar.ts';
import { shortFallback, SHORT_LINE_MAX } from '../../src/probes/fit.ts';
import { runProbes } from '../../src/probes/command.ts';
import { haveSeedKernels, PATCH_COMMIT, STABLE_2639 } from '../kernel/seed-kernels.ts';
import type { ProbeDef } from '../../src/probes/types.ts';

const quiet = { log: () => {} };

describe('short fallback lines for the oldest tracers', () => {
  const def = (line: string): ProbeDef => ({ event: 'e', group: 'rtg', type: 'p', symbol: 's', function: 's', fields: [], line, why: '', dropped: [] });
  it('leaves a line that fits alone', () => {
    expect(shortFallback(def('p:rtg/e s rt=%di:u64'))).toBeUndefined();
  });
  it('drops addresses and flags before the fields the model reads first, keeping names', () => {
    const line = `p:rtg/dst_check ipv4_dst_check rt=%di:u64 peer=+0x108(%di):u64 rt_pgenid=+0x100(%di):u32 g=@__rt_peer_genid:u32 dst=+0xec(%di):u32 gw=+0xf8(%di):u32 flags=+0xe4(%di):u32 obsolete=+0x6a(%di):s16`;
    const s = shortFallback(def(line))!;
    expect(s.line.length).toBeLessThanOrEqual(SHORT_LINE_MAX);
    // 128 bytes with obsolete: the last kept field goes too, once the others are gone
    expect(s.line).toBe('p:rtg/dst_check ipv4_dst_check rt=%di:u64 peer=+0x108(%di):u64 rt_pgenid=+0x100(%di):u32 g=@__rt_peer_genid:u32');
    expect(s.dropped).toEqual(['obsolete', 'dst', 'gw', 'flags']);
  });
});

describe.skipIf(!haveSeedKernels)('probes for the shared seed-era kernels (DWARF only)', () => {
  let patch: ProbeSet;
  let stable: ProbeSet;
  beforeAll(async () => {
    patch = await generateProbes(await resolveKernel(PATCH_COMMIT, quiet));
    stable = await generateProbes(await resolveKernel(STABLE_2639, quiet));
  }, 180_000);

  it('eras from the code: seed for the patch commit (2.6.38-rc2), pmtu-redirect S2 for 2.6.39.3', () => {
    expect(patch.era).toBe('seed');
    expect(patch.kernel.release).toBe('2.6.38-rc2');
    expect(stable).toMatchObject({ era: 'pmtu-redirect', stage: 'S2' });
    for (const s of [patch, stable]) {
      expect(s.kernel.btf).toMatch(/^BTF encoded by pahole .* from the DWARF of /);
      expect(s.syntax).toBe('regs');
    }
  });

  it('offsets from each build: struct rtable differs (2.6.38 still embeds a flow key)', async () => {
    const t = await loadKernelTypes(await resolveKernel(STABLE_2639, quiet));
    expect(t.structSizes.rtable).toBe(232);
    expect(t.members['rtable.rt_peer_genid']?.offset).toBe(212);
    expect(t.members['rtable.peer']?.offset).toBe(216);
    const dc = (s: ProbeSet) => s.probes.find((p) => p.event === 'dst_check')!.line;
    expect(dc(stable)).toContain('rt_pgenid=+0xd4(%di):u32');
    expect(dc(stable)).toContain('peer=+0xd8(%di):u64');
    expect(dc(patch)).toContain('rt_pgenid=+0x100(%di):u32');
  });

  it("prototypes of the function itself: ipv4_dst_check's dst, no field dropped for a missing parameter", () => {
    for (const s of [patch, stable]) {
      const dc = s.probes.find((p) => p.event === 'dst_check')!;
      expect(dc.line).toMatch(/^p:rtg\/dst_check ipv4_dst_check rt=%di:u64 /);
      expect(dc.dropped).toEqual([]);
      expect(s.notes.join('\n')).not.toMatch(/has no parameter 'dst'/);
      // rt_bind_peer(rt, create) in both: daddr comes from rt->rt_dst
      const bind = s.probes.find((p) => p.event === 'bind')!;
      expect(bind.line).toMatch(/ create=%si:s32 /);
      expect(bind.line).toMatch(/ daddr=\+0x[0-9a-f]+\(%di\):u32 /);
    }
  });

  it('only syntax the 2.6.38/2.6.39 tracer takes, and every fallback under 128 bytes', () => {
    for (const s of [patch, stable]) {
      for (const p of s.probes) {
        expect(p.line, p.line).not.toMatch(/\$arg|:x(8|16|32|64)\b|:string|%return|^f:/);
        expect(parseProbeLine(p.line), p.line).not.toHaveProperty('error');
        const short = p.fallback ?? p.line;
        expect(short.length, short).toBeLessThanOrEqual(SHORT_LINE_MAX);
      }
    }
    expect(patch.probes.find((p) => p.event === 'dst_check')!.shortened).toEqual(['obsolete', 'dst', 'gw', 'flags']);
  });

  it('the sysctl flush, whose handler has rt_cache_flush inlined, is probed on its own', () => {
    expect(stable.probes.find((p) => p.event === 'sysctl_flush')?.line).toBe('p:rtg/sysctl_flush ipv4_sysctl_rtcache_flush write=%si:s32 g=@__rt_peer_genid:u32');
  });

  it('inlined everywhere or not in this kernel: the DWARF decides, not the absence of a symbol', () => {
    const cov = (s: ProbeSet, fn: string) => s.coverage.find((c) => c.function === fn);
    for (const s of [patch, stable]) {
      expect(cov(s, 'ipv4_validate_peer')?.status).toBe('absent'); // 3.2+
      expect(cov(s, 'rt_peer_genid')).toMatchObject({ status: 'via-caller' });
      expect(s.inlined.map((i) => i.function)).toEqual(expect.arrayContaining(['rt_peer_genid', 'rt_init_metrics']));
      expect(s.inlined.map((i) => i.function)).not.toContain('ipv4_validate_peer');
      expect(cov(s, 'rt_bind_peer')?.status).toBe('probed'); // out of line in both builds (3.0.1 inlined it)
    }
    // the patch commit has no check_peer_pmtu yet: no probe for it
    expect(cov(patch, 'check_peer_pmtu')?.status).toBe('absent');
    expect(patch.probes.some((p) => p.function === 'check_peer_pmtu')).toBe(false);
    expect(stable.probes.some((p) => p.function === 'check_peer_pmtu')).toBe(true);
  });

  it('`probes --kernel DIR` prints them', async () => {
    let out = '';
    const sink = {
      write: (s: string) => {
        out += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    expect(await runProbes({ kernel: PATCH_COMMIT, format: 'kprobe' }, sink as never, () => {})).toBe(0);
    expect(out).toMatch(/^# peerprop probes for 2\.6\.38-rc2 .*era seed/m);
    expect(out).toMatch(/^p:rtg\/dst_check ipv4_dst_check /m);
  });
});
