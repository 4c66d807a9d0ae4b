import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { checkMechanism, coarseClock, sliceByMarkers } from '../../src/harness/mechanism.ts';
import { checkEvidence } from '../../src/harness/evidence.ts';
import type { CanonicalEvent } from '../../src/trace/events.ts';
import { injectFault } from '../helpers/inject.ts';

const capture61 = resolve(import.meta.dirname, '../../../shared/traces/6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt');

const ev = (line: number, kind: CanonicalEvent['kind'], extra: Partial<CanonicalEvent> = {}): CanonicalEvent => ({ kind, file: 't', line, ...extra });

describe('sliceByMarkers', () => {
  it('cuts the trace at each scenario\'s first STEP marker', () => {
    const events = [
      ev(1, 'flush'),
      ev(2, 'marker', { text: 'STEP udp-pmtu begin' }),
      ev(3, 'pmtu', { daddr: '198.51.100.10', mtu: 1200 }),
      ev(4, 'marker', { text: 'STEP udp-pmtu icmp' }),
      ev(5, 'fnhe', { probe: 'update_or_create_fnhe', daddr: '198.51.100.10', mtu: 1200 }),
      ev(6, 'marker', { text: 'STEP flush begin' }),
      ev(7, 'flush', { probe: 'sysctl_flush' }),
    ];
    const s = sliceByMarkers(events);
    expect(s.map((x) => [x.scenario, x.firstLine, x.lastLine, x.events.length])).toEqual([
      ['udp-pmtu', 2, 5, 4],
      ['flush', 6, 7, 2],
    ]);
    const r = checkEvidence(s[0]!.events, {
      sequence: [
        { what: 'pmtu path', kind: 'pmtu', fields: { daddr: '198.51.100.10', mtu: 1200 } },
        { what: 'learned', kind: 'fnhe', probe: /update_or_create/, fields: { mtu: 1200 } },
      ],
      absent: [{ what: 'no redirect', kind: 'redirect' }],
    });
    expect(r.ok).toBe(true);
    const wrongOrder = checkEvidence([...s[0]!.events].reverse(), { sequence: [{ what: 'a', kind: 'fnhe' }, { what: 'b', kind: 'pmtu' }] });
    expect(wrongOrder.ok).toBe(true);
    expect(checkEvidence(s[0]!.events, { sequence: [{ what: 'b', kind: 'fnhe' }, { what: 'a', kind: 'pmtu' }] }).ok).toBe(false);
  });
});

describe('checkMechanism on a real capture', () => {
  it('replays the 6.1 capture with no divergence in any slice', async () => {
    const m = await checkMechanism(capture61, { era: 'fnhe', scenarios: ['connect', 'pmtu', 'after'] });
    expect(m.replay.ran).toBe(true);
    expect(m.replay.divergences).toBe(0);
    expect(m.totalEvents).toBeGreaterThan(100);
    for (const name of ['connect', 'pmtu', 'after']) expect(m.perScenario.get(name)!.status, name).toBe('pass');
  });

  it('blames an injected kernel fault on the slice that holds its line', async () => {
    const f = await injectFault(capture61, 'valid-after-flush');
    const names = [...new Set((await sliceNames(f.path)).values())];
    const m = await checkMechanism(f.path, { era: 'fnhe', scenarios: names });
    const failing = names.filter((n) => m.perScenario.get(n)!.status === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    const slices = await sliceNames(f.path);
    const owner = [...slices.entries()].filter(([first]) => first <= f.line).at(-1)![1];
    expect(failing).toContain(owner);
    // replay reports it at the faulty check (entry or its return, the next line)
    expect(m.perScenario.get(owner)!.diagnostics.join('\n')).toMatch(new RegExp(`replay divergence: .*:(${f.line}|${f.line + 1}): `));
  });
});

async function sliceNames(file: string): Promise<Map<number, string>> {
  const { openTrace } = await import('../../src/trace/index.ts');
  const r = await openTrace(file);
  const events: CanonicalEvent[] = [];
  for await (const b of r.batches()) events.push(...b);
  return new Map(sliceByMarkers(events).map((s) => [s.firstLine, s.scenario]));
}

describe('coarseClock', () => {
  const at = (ts: number[]) => ts.map((t, i) => ev(i + 1, 'check', { ts: t, cpu: i % 2 }));
  it('a jiffies trace clock (no TSC: every stamp a whole millisecond) is coarse', () => {
    expect(coarseClock(at(Array.from({ length: 30 }, (_, i) => 3.468 + 0.004 * Math.floor(i / 5))))).toBe(true);
  });
  it('one stamp below the millisecond, or too few events to tell, is not', () => {
    expect(coarseClock(at([...Array.from({ length: 30 }, () => 1.748), 1.748123]))).toBe(false);
    expect(coarseClock(at([1.0, 1.004]))).toBe(false);
  });
});
