import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SCENARIOS, SCENARIO_NAMES, scenariosForEra } from '../../src/harness/scenarios.ts';
import { parseWorkload } from '../../src/harness/observations.ts';
import { evidenceFor } from '../../src/harness/evidence.ts';

const workloadDir = resolve(import.meta.dirname, '../../workload');

describe('scenario catalogue', () => {
  it('names exactly the scenarios the workload implements, in the same order', async () => {
    const names: string[] = [];
    for (const [file, table] of [['scenarios.c', 'SCENARIOS'], ['seed.c', 'SEED_SCENARIOS'], ['smp.c', 'SMP_SCENARIOS']]) {
      const c = await readFile(resolve(workloadDir, file!), 'utf8');
      const t = c.slice(c.indexOf(`const struct scenario ${table}[]`));
      names.push(...[...t.matchAll(/\{\s*"([a-z0-9-]+)",/g)].map((m) => m[1]!));
    }
    expect(names).toEqual([...SCENARIO_NAMES]);
  });

  it('seed-era scenarios use documentation ranges, and a multicast address only as a refused gateway', async () => {
    const text = await readFile(resolve(workloadDir, 'seed.c'), 'utf8');
    for (const [addr] of text.matchAll(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g)) {
      expect(addr, `seed.c: ${addr}`).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.|^224\.0\.0\.9$/);
    }
  });

  it('uses only documentation address ranges (RFC 5737) in the workload', async () => {
    for (const f of ['wl.h', 'scenarios.c']) {
      const text = await readFile(resolve(workloadDir, f), 'utf8');
      for (const [addr] of text.matchAll(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g)) {
        expect(addr, `${f}: ${addr}`).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\./);
      }
    }
  });

  it('states mechanism evidence for every scenario in every era with a kernel to boot', () => {
    for (const s of SCENARIOS) {
      for (const era of s.eras.filter((e) => e !== 'pre-genid')) expect(evidenceFor(s.name, era), `${s.name} ${era}`).toBeDefined();
    }
  });

  it('gives every era with a kernel to boot its own scenarios', () => {
    expect(scenariosForEra('fnhe')).toContain('udp-pmtu');
    for (const era of ['seed', 'pmtu-redirect'] as const) {
      const names = scenariosForEra(era);
      expect(names, era).toContain('seed-frag-needed');
      expect(names, era).not.toContain('udp-pmtu');
    }
    // The patch commit has no expiry of its own: not part of the seed era's contract.
    expect(scenariosForEra('seed')).not.toContain('seed-pmtu-expires');
    expect(scenariosForEra('pmtu-redirect')).toContain('seed-pmtu-expires');
  });
});

function record(name: string, obs: string[]) {
  const lines = [`@@WL_START scenarios=${name}`, `@@SCENARIO_BEGIN ${name}`, ...obs.map((o) => `@@OBS scenario=${name} ${o}`), `@@SCENARIO_END ${name} rc=0`, '@@WL_END rc=0'];
  return parseWorkload(lines.map((text, i) => ({ text, line: i + 1 }))).scenarios.get(name)!;
}

describe('udp-pmtu contract', () => {
  const spec = SCENARIOS.find((s) => s.name === 'udp-pmtu')!;
  const good = [
    'step=icmp sock=A send=1400 ret=1400 tun_len=1428',
    'step=icmp sock=A ip_mtu=1200',
    'step=icmp route=A dst=198.51.100.10 via=192.0.2.2 mtu=1200 lock=0',
    'step=icmp sock=B ip_mtu=1500',
    'step=resend-big sock=A send=1400 ret=-90 tun_len=0',
    'step=resend-small sock=A send=1100 ret=1100 tun_len=1128',
  ];
  it('holds when the socket learned the MTU', () => {
    expect(spec.contract(record('udp-pmtu', good), 'fnhe').every((c) => c.ok)).toBe(true);
  });
  it('fails, saying what was expected, when the ICMP changed nothing', () => {
    const bad = good.map((l) => l.replace('ip_mtu=1200', 'ip_mtu=1500').replace('mtu=1200 lock', 'mtu=0 lock').replace('ret=-90 tun_len=0', 'ret=1400 tun_len=1428'));
    const failed = spec.contract(record('udp-pmtu', bad), 'fnhe').filter((c) => !c.ok);
    expect(failed.map((c) => c.what)).toContain('A learned the MTU 1200 announced by the gateway');
    expect(failed.find((c) => c.what.startsWith('A learned'))!.observed).toBe('ip_mtu=1500');
  });
  it('treats a missing observation as a failure, never as a pass', () => {
    expect(spec.contract(record('udp-pmtu', []), 'fnhe').every((c) => !c.ok)).toBe(true);
  });
});

describe('flush contract per era', () => {
  const spec = SCENARIOS.find((s) => s.name === 'flush')!;
  const obs = (mtu: number, big: string) => [
    'step=icmp sock=F ip_mtu=1200',
    'step=flush flush=route_cache ret=0',
    'step=resend sock=F send=500 ret=500 tun_len=528',
    `step=resend sock=F ip_mtu=${mtu}`,
    `step=resend-big sock=F send=1400 ${big}`,
  ];
  it('modern kernels: the sysctl flush resets exceptions', () => {
    expect(spec.contract(record('flush', obs(1500, 'ret=1400 tun_len=1428')), 'fnhe').every((c) => c.ok)).toBe(true);
    expect(spec.contract(record('flush', obs(1200, 'ret=-90 tun_len=0')), 'fnhe').some((c) => !c.ok)).toBe(true);
  });
  it('genid era: the learned MTU lives in the inetpeer and survives', () => {
    expect(spec.contract(record('flush', obs(1200, 'ret=-90 tun_len=0')), 'pmtu-redirect').every((c) => c.ok)).toBe(true);
  });
});

describe('smp-pmtu contract', () => {
  const spec = SCENARIOS.find((s) => s.name === 'smp-pmtu')!;
  /** Both threads pinned and sending; every socket learned 1200 unless `stale` says otherwise. */
  const obs = (cpus: number, stale: Record<string, string[]> = {}) => {
    const out = [`step=setup cpus=${cpus}`];
    for (const k of [0, 1]) out.push(`step=race thread=T${k} cpu=${k} pinned=1 ran_on=${k} sent=400 emsgsize=${k === 0 ? 4 : 0} other=0`);
    for (const k of [0, 1])
      for (const i of [0, 1, 2, 3]) {
        const s = `T${k}D${i}`;
        if (stale[s]) out.push(`step=after sock=${s} send=1400 ret=1400 tun_len=1428`, `step=after sock=${s} ip_mtu=1500`, ...stale[s]);
        else out.push(`step=after sock=${s} send=1400 ret=-90 tun_len=0`, `step=after sock=${s} ip_mtu=1200`);
        out.push(`step=small sock=${s} send=1100 ret=1100 tun_len=1128`);
      }
    return out;
  };
  const healed = ['step=heal sock=T1D3 inject=frag_needed mtu=1200 ret=0', 'step=heal sock=T1D3 send=1400 ret=-90 tun_len=0', 'step=heal sock=T1D3 ip_mtu=1200'];
  it('holds when every socket learned the MTU', () => {
    expect(spec.contract(record('smp-pmtu', obs(2)), 'fnhe').every((c) => c.ok)).toBe(true);
  });
  it('a route cached on the other CPU during the race may send once at the old MTU if the next frag-needed teaches it (real 6.12 TCG capture)', () => {
    const checks = spec.contract(record('smp-pmtu', obs(2, { T1D3: healed })), 'fnhe');
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.what.startsWith('T1D3: its 1400-byte datagram went out once'))!.observed).toBe('after: ret=1400 ip_mtu=1500; after the next frag-needed: ret=-90');
    expect(checks).toHaveLength(spec.contract(record('smp-pmtu', obs(2)), 'fnhe').length);
  });
  it('fails when the socket does not learn from the next frag-needed either', () => {
    const notHealed = ['step=heal sock=T1D3 inject=frag_needed mtu=1200 ret=0', 'step=heal sock=T1D3 send=1400 ret=1400 tun_len=1428', 'step=heal sock=T1D3 ip_mtu=1500'];
    const failed = spec.contract(record('smp-pmtu', obs(2, { T1D3: notHealed })), 'fnhe').filter((c) => !c.ok);
    expect(failed.map((c) => c.what)).toEqual([
      'T1D3: its 1400-byte datagram went out once at the old MTU (route cached during the race); after the next frag-needed it fails with EMSGSIZE',
      'T1D3 reports the learned MTU 1200 after the next frag-needed',
    ]);
  });
  it('fails when a stale route has no second chance to show (no heal step) or there was no race (one CPU)', () => {
    expect(spec.contract(record('smp-pmtu', obs(2, { T1D3: [] })), 'fnhe').filter((c) => !c.ok).map((c) => c.what)).toEqual([
      'T1D3: a 1400-byte datagram fails with EMSGSIZE after the race',
      'T1D3 reports the learned MTU 1200',
    ]);
    expect(spec.contract(record('smp-pmtu', obs(1, { T1D3: healed })), 'fnhe').some((c) => !c.ok)).toBe(true);
  });
});
