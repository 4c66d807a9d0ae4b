import { describe, expect, it } from 'vitest';
import { observed, parseWorkload } from '../../src/harness/observations.ts';

const lines = [
  '@@WL_START scenarios=udp-pmtu,redirect-gateway marker=1 drop=-',
  '@@SCENARIO_BEGIN udp-pmtu',
  '@@STEP udp-pmtu icmp',
  '@@OBS scenario=udp-pmtu step=icmp sock=A send=1400 ret=1400 tun_len=1428',
  '@@OBS scenario=udp-pmtu step=icmp sock=A ip_mtu=1200',
  '@@OBS scenario=udp-pmtu step=icmp route=A dst=198.51.100.10 via=192.0.2.2 mtu=1200 lock=0',
  '@@NOTE scenario=udp-pmtu test hook: ICMP fragmentation needed not injected',
  '@@SCENARIO_END udp-pmtu rc=0',
  '@@SCENARIO_BEGIN redirect-gateway',
  '@@ERROR scenario=redirect-gateway send: no packet on the tun fd',
].map((text, i) => ({ text, line: i + 10 }));

describe('parseWorkload', () => {
  const w = parseWorkload(lines);
  it('groups records per scenario with subjects and fields', () => {
    expect(w.started).toBe(true);
    expect(w.ended).toBe(false);
    expect(w.announced).toEqual(['udp-pmtu', 'redirect-gateway']);
    const u = w.scenarios.get('udp-pmtu')!;
    expect(u.begun && u.ended).toBe(true);
    expect(u.rc).toBe(0);
    expect(u.steps).toEqual(['icmp']);
    expect(observed(u, 'icmp', 'sock', 'A', 'ip_mtu')).toBe('1200');
    expect(observed(u, 'icmp', 'sock', 'A', 'tun_len')).toBe('1428');
    expect(observed(u, 'icmp', 'route', 'A', 'via')).toBe('192.0.2.2');
    expect(observed(u, 'icmp', 'sock', 'B', 'ip_mtu')).toBeUndefined();
    expect(u.notes[0]).toMatch(/not injected/);
    expect(u.observations[0]!.line).toBe(13);
  });
  it('keeps workload errors and unfinished scenarios', () => {
    const r = w.scenarios.get('redirect-gateway')!;
    expect(r.ended).toBe(false);
    expect(r.errors).toEqual(['send: no packet on the tun fd']);
  });
});
