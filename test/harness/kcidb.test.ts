/**
 * conform's KCIDB mapping over reports of each kind of run: a clean one, a kernel that crashed, a
 * run without tracefs (environment), a refused probe (bad input), a failed contract, an unchecked
 * mechanism. A run that did not complete never yields a PASS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.ts';
import type { ConformReport, ScenarioVerdict } from '../../src/harness/conform.ts';
import { conformToKcidb } from '../../src/harness/kcidb.ts';
import { renderConform } from '../../src/harness/render.ts';
import { toKcidb } from '../../src/report/kcidb.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';

function scenario(name: string, over: Partial<ScenarioVerdict> = {}): ScenarioVerdict {
  return {
    name,
    description: `${name} does its thing`,
    status: 'pass',
    contract: { status: 'pass', checks: [{ what: 'the route carries MTU 1200', ok: true, expected: 'mtu=1200', observed: 'mtu=1200', precondition: false }] },
    mechanism: { status: 'pass', diagnostics: ['mechanism seen: the PMTU update path ran (capture.txt:3)', 'mechanism: 2 events (pmtu 1, fnhe 1)'], events: 2, byKind: { pmtu: 1, fnhe: 1 } },
    notes: [],
    errors: [],
    ...over,
  };
}

function report(over: Partial<ConformReport> = {}): ConformReport {
  return {
    kernel: { spec: 'debian', release: '6.1.0-57-cloud-amd64', description: 'Debian linux-image-6.1.0-57-cloud-amd64 6.1.192-3', version: [6, 1, 192], cpus: 1 },
    startedAt: '2026-12-06T11:54:06.788Z',
    era: 'fnhe',
    eraFrom: ['struct fib_nh_exception'],
    accel: { accel: 'tcg', reason: 'TCG', probeMs: 0 },
    scenarios: [scenario('udp-pmtu'), scenario('flush')],
    problems: [],
    probes: { registered: 28, refused: [], fellBack: [], skipped: [], inlined: [] },
    trace: { lines: 10, events: 4, replay: 'replay through the fnhe model: conformant' },
    timings: { total: 3200 },
    console: { lastLines: ['[    2.1] reboot: Power down'] },
    exitCode: ExitCode.Clean,
    ...over,
  };
}

const tests = (r: ConformReport) => {
  const doc = toKcidb([conformToKcidb(r)]);
  expect(kcidbProblems(doc)).toEqual([]);
  return new Map(doc.tests.map((t) => [t.path as string, t as { status: string; log_excerpt?: string; environment?: { misc: Record<string, unknown> } }]));
};

describe('conform as KCIDB', () => {
  it('a clean run: boot and every scenario and half PASS, with the environment the guest ran in', () => {
    const t = tests(report());
    expect([...t.keys()]).toEqual(['peerprop.boot', 'peerprop.udp-pmtu', 'peerprop.udp-pmtu.contract', 'peerprop.udp-pmtu.mechanism', 'peerprop.flush', 'peerprop.flush.contract', 'peerprop.flush.mechanism']);
    for (const x of t.values()) expect(x.status).toBe('PASS');
    expect(t.get('peerprop.boot')!.environment!.misc).toMatchObject({ kernel_release: '6.1.0-57-cloud-amd64', arch: 'x86_64', accel: 'tcg', cpus: 1 });
  });

  it('a kernel panic: boot FAIL, the scenarios it prevented ERROR (never PASS), the console in the excerpt', () => {
    const prevented = scenario('udp-pmtu', { status: 'error', reason: 'run failed: Kernel panic', contract: { status: 'error', checks: [], reason: 'run failed' }, mechanism: { status: 'fail', reason: 'no trace', diagnostics: [], events: 0, byKind: {} } });
    const t = tests(report({ problems: [{ kind: 'panic', message: 'Kernel panic - not syncing', exitCode: ExitCode.Findings }], scenarios: [prevented], exitCode: ExitCode.Findings }));
    expect(t.get('peerprop.boot')!.status).toBe('FAIL');
    expect(t.get('peerprop.boot')!.log_excerpt).toMatch(/console\| \[ +2\.1\] reboot/);
    expect(t.get('peerprop.udp-pmtu')!.status).toBe('ERROR');
    expect(t.has('peerprop.udp-pmtu.contract')).toBe(false);
  });

  it('no tracefs (environment): MISS; a refused probe (bad input): ERROR', () => {
    const prevented = scenario('udp-pmtu', { status: 'error', contract: { status: 'error', checks: [] } });
    const env = tests(report({ problems: [{ kind: 'no-tracefs', message: 'no tracefs', exitCode: ExitCode.EnvMissing }], scenarios: [prevented], exitCode: ExitCode.EnvMissing }));
    expect(env.get('peerprop.boot')!.status).toBe('MISS');
    expect(env.get('peerprop.udp-pmtu')!.status).toBe('MISS');
    const refused = tests(report({ problems: [{ kind: 'probe-refused', message: 'the kernel refused: p:x', exitCode: ExitCode.BadInput }], exitCode: ExitCode.BadInput }));
    expect(refused.get('peerprop.boot')!.status).toBe('ERROR');
  });

  it('a failed contract FAILs the scenario and its contract; an unchecked mechanism is SKIP, not PASS', () => {
    const failed = scenario('udp-pmtu', {
      status: 'fail',
      reason: 'contract: the route carries MTU 1200',
      contract: { status: 'fail', checks: [{ what: 'the route carries MTU 1200', ok: false, expected: 'mtu=1200', observed: 'mtu=1500', precondition: false }], reason: 'the route carries MTU 1200' },
    });
    const unchecked = scenario('flush', { mechanism: { status: 'skip', reason: 'replay unchecked: events of several CPUs under a millisecond trace clock', diagnostics: [], events: 9, byKind: {} } });
    const t = tests(report({ scenarios: [failed, unchecked], exitCode: ExitCode.Findings }));
    expect(t.get('peerprop.udp-pmtu')!.status).toBe('FAIL');
    expect(t.get('peerprop.udp-pmtu')!.log_excerpt).toMatch(/FAIL: the route carries MTU 1200: expected mtu=1200, observed mtu=1500/);
    expect(t.get('peerprop.udp-pmtu.contract')!.status).toBe('FAIL');
    expect(t.get('peerprop.flush.mechanism')!.status).toBe('SKIP');
  });

  it('with a kept capture, the evidence quotes the trace lines it names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-kcidb-conform-'));
    try {
      writeFileSync(join(dir, 'capture.txt'), 'line one\nline two\n  tunwl-89 [000] 12.97: __ip_rt_update_pmtu: mtu=1200\n');
      const t = tests(report({ kept: dir }));
      expect(t.get('peerprop.udp-pmtu.mechanism')!.log_excerpt).toContain('capture.txt:3|   tunwl-89 [000] 12.97: __ip_rt_update_pmtu: mtu=1200');
      const doc = JSON.parse(renderConform(report({ kept: dir }), 'kcidb'));
      expect(kcidbProblems(doc)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
