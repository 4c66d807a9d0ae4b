import { describe, it, expect, beforeAll } from 'vitest';
import { generateProbes, renderKprobeEvents, type ProbeSet } from '../../src/probes/index.ts';
import { parseProbeLine, FEATURES_6_1, type ParsedProbeLine } from '../../src/probes/grammar.ts';
import { parseProbeMap } from '../../src/trace/probemap.ts';
import { loadKernelTypes } from '../../src/kernel/btf/index.ts';
import { realKernel, MEASURED } from '../kernel/real-kernels.ts';
import { captureProbes } from './capture.ts';

function lineOf(set: ProbeSet, event: string): ParsedProbeLine {
  const p = set.probes.find((x) => x.event === event);
  if (!p) throw new Error(`no probe ${event}`);
  const r = parseProbeLine(p.line);
  if ('error' in r) throw new Error(`${p.line}: ${r.error}`);
  return r;
}

function arg(set: ProbeSet, event: string, name: string): string {
  const a = lineOf(set, event).args.find((x) => x.name === name);
  if (!a) throw new Error(`${event} has no ${name}`);
  return `${a.fetch}:${a.type}`;
}

describe('generated probes on the real Debian kernels', () => {
  let s61: ProbeSet;
  let s612: ProbeSet;
  beforeAll(async () => {
    s61 = await generateProbes(await realKernel('debian'));
    s612 = await generateProbes(await realKernel('debian-6.12'));
  });

  it('6.1: register syntax only, every line in the grammar 6.1 accepts', () => {
    expect(s61.syntax).toBe('regs');
    expect(s61.era).toBe('fnhe');
    for (const p of s61.probes) {
      const r = parseProbeLine(p.line);
      expect('error' in r ? r.error : '', p.line).toBe('');
      for (const f of (r as ParsedProbeLine).features) expect(FEATURES_6_1.has(f), `${f}: ${p.line}`).toBe(true);
      expect(p.fallback).toBeUndefined();
    }
  });

  it('6.12: BTF argument names and field access, with a 6.1-grammar fallback of the same names', () => {
    expect(s612.syntax).toBe('btf');
    const feats = new Set(s612.probes.flatMap((p) => [...lineOf(s612, p.event).features]));
    expect(feats.has('btf-name')).toBe(true);
    expect(feats.has('btf-field')).toBe(true);
    expect(feats.has('fexit')).toBe(true);
    for (const p of s612.probes) {
      if (!p.fallback) continue;
      const fb = parseProbeLine(p.fallback);
      expect('error' in fb ? fb.error : '', p.fallback).toBe('');
      const fp = fb as ParsedProbeLine;
      for (const f of fp.features) expect(FEATURES_6_1.has(f), `${f}: ${p.fallback}`).toBe(true);
      expect(fp.event).toBe(p.event);
      const rich = new Set(lineOf(s612, p.event).args.map((a) => a.name));
      for (const a of fp.args) expect(rich.has(a.name!), `${a.name} of ${p.event}`).toBe(true);
    }
  });

  it('offsets come from each kernel\'s BTF (the measured ones where the release matches)', async () => {
    for (const [set, spec] of [[s61, 'debian'], [s612, 'debian-6.12']] as const) {
      const k = await realKernel(spec);
      const t = await loadKernelTypes(k);
      const off = (p: string) => `0x${t.members[p]!.offset.toString(16)}`;
      const dst = set.probes.find((p) => p.event === 'dst_check')!;
      const fetch = set.syntax === 'btf' ? dst.fallback! : dst.line;
      expect(fetch).toContain(`rt_genid=+${off('rtable.rt_genid')}(%di):s32`);
      expect(fetch).toContain(`pmtu=+${off('rtable.rt_pmtu')}(%di):b31@1/32`);
      expect(fetch).toContain(`net_rt_genid=+${off('net.ipv4.rt_genid.counter')}(+${off('net_device.nd_net.net')}(+0(%di))):s32`);
      const m = MEASURED[k.release];
      if (m) expect(fetch).toContain(`rt_genid=+0x${m['rtable.rt_genid']!.toString(16)}(%di)`);
    }
    expect(arg(s61, 'dst_check', 'rt_genid')).not.toBe(s612.probes.find((p) => p.event === 'dst_check')!.fallback!.match(/rt_genid=(\S+)/)![1]);
  });

  it('6.1 lines match the real capture\'s accepted definitions (same offsets, names, types)', async () => {
    const { kernel, ok } = await captureProbes();
    const release = (await realKernel('debian')).release;
    let compared = 0;
    for (const l of ok) {
      const cap = parseProbeLine(l) as ParsedProbeLine;
      if (cap.group !== 'rtg' || cap.event === 'dst_release') continue;
      const gen = s61.probes.find((p) => p.event === cap.event);
      expect(gen, `generated probe for ${cap.event}`).toBeDefined();
      const g = parseProbeLine(gen!.line) as ParsedProbeLine;
      expect(g.type).toBe(cap.type);
      const genArgs = new Map(g.args.map((a) => [a.name, `${a.fetch}:${a.type}`]));
      for (const a of cap.args) {
        expect(genArgs.has(a.name), `${cap.event}.${a.name}`).toBe(true);
        // Offsets are only comparable on the build the capture was taken on.
        if (kernel === release) expect(genArgs.get(a.name), `${cap.event}.${a.name}`).toBe(`${a.fetch}:${a.type}`);
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('one return probe per function; dst_release left out', () => {
    for (const set of [s61, s612]) {
      const rets = set.probes.filter((p) => p.type === 'r' || p.type === 'fret').map((p) => p.function);
      expect(new Set(rets).size).toBe(rets.length);
      expect(set.probes.some((p) => p.function === 'dst_release')).toBe(false);
      expect(set.coverage.find((c) => c.function === 'dst_release')).toMatchObject({ status: 'not-observable' });
    }
  });

  it('inlined functions are reported with the callers that observe them', () => {
    for (const set of [s61, s612]) {
      const inl = new Map(set.inlined.map((i) => [i.function, i.via]));
      expect(inl.get('rt_bind_exception')).toEqual(expect.arrayContaining(['find_exception']));
      expect(inl.get('rt_genid_bump_ipv4')).toEqual(expect.arrayContaining(['rt_cache_flush', 'ipv4_sysctl_rtcache_flush']));
      expect(inl.get('fnhe_genid_bump')).toEqual(['ipv4_sysctl_rtcache_flush']);
      expect(inl.get('rt_is_expired')).toEqual(['ipv4_dst_check']);
      // Every wanted function has a status and a reason; none is silently lost.
      for (const c of set.coverage) expect(c.reason.length, c.function).toBeGreaterThan(5);
      expect(set.coverage.find((c) => c.function === 'rt_set_nexthop')?.status).toBe('unresolved');
      const text = renderKprobeEvents(set);
      expect(text).toContain('rt_bind_exception (stamp) -> find_exception');
      expect(text).toContain(`# peerprop probes for ${set.kernel.release}`);
      expect(text).toMatch(/# types: BTF of the vmlinux in .* \((lz4|zstd)\)/);
    }
  });

  it('the probe map is valid and covers every generated probe', () => {
    for (const set of [s61, s612]) {
      const map = parseProbeMap(set.probeMap, 'generated');
      const known = new Set([...map.rules.map((r) => r.probe), ...(map.ignore ?? [])]);
      for (const p of set.probes) expect(known.has(p.event), p.event).toBe(true);
      expect(map.pairs?.find((p) => p.entry === 'dst_check')?.return).toEqual(['dst_check_ret']);
      const check = map.rules.find((r) => r.probe === 'dst_check')!;
      expect(check.emit[0]).toMatchObject({ kind: 'check', fields: { rt: 'dst', rtGenid: 'rt_genid', genid: 'net_rt_genid' } });
    }
    // 6.12's extra return probe is a pair with nothing else on that function.
    expect(s612.probeMap.pairs?.find((p) => p.entry === '__ip_rt_update_pmtu')?.return).toEqual(['__ip_rt_update_pmtu_ret']);
  });

  it('--extra adds a noisy probe; --syntax regs on 6.12 gives 6.1-grammar lines with 6.12 offsets', async () => {
    const k = await realKernel('debian-6.12');
    const set = await generateProbes(k, { extra: ['dst_release'], syntax: 'regs' });
    expect(set.probes.find((p) => p.event === 'dst_release')?.line).toMatch(/ref=\+0x40\(%di\)/);
    for (const p of set.probes) {
      const r = parseProbeLine(p.line) as ParsedProbeLine;
      for (const f of r.features) expect(FEATURES_6_1.has(f), `${f}: ${p.line}`).toBe(true);
    }
    expect(set.probes.some((p) => p.event === '__ip_rt_update_pmtu_ret')).toBe(false);
  });
});
