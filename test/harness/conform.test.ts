/**
 * Real boots (they are the point): Debian's 6.1 and 6.12 cloud kernels under QEMU with the TUN
 * workload, and the proofs that the harness can fail.
 */
import { describe, expect, it } from 'vitest';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { runConform, type ConformReport } from '../../src/harness/conform.ts';
import { renderConform } from '../../src/harness/render.ts';
import { scenariosForEra } from '../../src/harness/scenarios.ts';
import { ExitCode } from '../../src/core/errors.ts';

const BOOT = 300_000;
const quiet = { log: () => {} };

/** KTAP lines of the scenario level (depth 1) as [status, name]. */
function scenarioLines(ktap: string): [string, string][] {
  return ktap
    .split('\n')
    .filter((l) => /^ {2}(ok|not ok) \d+ /.test(l))
    .map((l) => {
      const m = /^ {2}(ok|not ok) \d+ (\S+)/.exec(l)!;
      return [m[1]!, m[2]!];
    });
}

function expectAllPass(r: ConformReport): void {
  const failed = r.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.reason}`);
  expect(failed, renderConform(r, 'text')).toEqual([]);
  expect(r.problems).toEqual([]);
  expect(r.exitCode).toBe(ExitCode.Clean);
  const ktap = renderConform(r, 'ktap');
  expect(ktap.startsWith('KTAP version 1\n')).toBe(true);
  // by default, the scenarios whose contract the kernel's era states
  const names = scenariosForEra(r.era);
  expect(scenarioLines(ktap)).toEqual(names.map((n) => ['ok', n]));
  expect(ktap).toMatch(/^ok 1 conform /m);
  // each scenario carries its two halves as subtests
  expect(ktap.match(/^ {4}ok 1 contract$/gm)?.length).toBe(names.length);
  expect(ktap.match(/^ {4}ok 2 mechanism$/gm)?.length).toBe(names.length);
}

describe('conform on Debian kernels (TCG)', () => {
  it('6.1 cloud kernel: every scenario passes, contract and mechanism', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', ...quiet });
    expect(r.kernel.release).toMatch(/^6\.1\.\d+-\d+-cloud-amd64$/);
    expect(r.era).toBe('fnhe');
    expect(r.accel.accel).toBe('tcg');
    expect(r.probes.registered).toBeGreaterThan(10);
    expect(r.trace.events).toBeGreaterThan(100);
    expectAllPass(r);
  });

  it('6.12 cloud kernel: every scenario passes', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian-6.12', ...quiet });
    expect(r.kernel.release).toMatch(/^6\.12\./);
    expectAllPass(r);
  });
});

describe('the harness can fail', () => {
  const subset = ['udp-pmtu', 'redirect-gateway', 'tcp-pmtu'];

  it('dropping one ICMP injection fails exactly that scenario', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: subset, dropInjection: 'udp-pmtu', ...quiet });
    expect(r.exitCode).toBe(ExitCode.Findings);
    expect(scenarioLines(renderConform(r, 'ktap'))).toEqual([
      ['not ok', 'udp-pmtu'],
      ['ok', 'redirect-gateway'],
      ['ok', 'tcp-pmtu'],
    ]);
    const u = r.scenarios[0]!;
    expect(u.contract.status).toBe('fail');
    expect(u.contract.checks.find((c) => !c.ok)?.what).toMatch(/learned the MTU 1200/);
    expect(u.notes.join(' ')).toMatch(/not injected/);
    // the kernel never saw the ICMP, so the mechanism half fails too
    expect(u.mechanism.status).toBe('fail');
  });

  it('a workload that did not run fails the run', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: subset, sabotage: 'no-workload', ...quiet });
    expect(r.exitCode).toBe(ExitCode.Findings);
    expect(r.problems.map((p) => p.kind)).toContain('no-workload');
    expect(r.scenarios.every((s) => s.status === 'error')).toBe(true);
    const ktap = renderConform(r, 'ktap');
    expect(ktap).toMatch(/^not ok 1 conform /m);
    expect(ktap).not.toMatch(/^ {2}ok /m);
  });

  it('an empty trace fails the run', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: subset, sabotage: 'empty-trace', ...quiet });
    expect(r.exitCode).toBe(ExitCode.Findings);
    expect(r.problems.map((p) => p.kind)).toContain('empty-trace');
    expect(r.scenarios.every((s) => s.status !== 'pass')).toBe(true);
    expect(renderConform(r, 'ktap')).toMatch(/^not ok 1 conform /m);
    expect(renderConform(r, 'junit')).toMatch(/<failure /);
  });

  it('a kernel crash is caught and reported with the console\'s last lines', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: ['udp-pmtu'], sabotage: 'panic', ...quiet });
    expect(r.exitCode).toBe(ExitCode.Findings);
    const panic = r.problems.find((p) => p.kind === 'panic');
    expect(panic?.message).toMatch(/Kernel panic - not syncing: .*— console: /);
    // downstream consequences (no workload, no trace) are not reported on top of the crash
    expect(r.problems.map((p) => p.kind)).toEqual(['panic']);
    expect(r.scenarios[0]!.status).toBe('error');
  });

  it('a guest that does not finish in time is killed and reported', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: ['udp-pmtu'], timeoutS: 1, ...quiet });
    expect(r.exitCode).toBe(ExitCode.Findings);
    expect(r.problems.map((p) => p.kind)).toEqual(['timeout']);
    expect(r.scenarios[0]!.status).toBe('error');
    expect(renderConform(r, 'ktap')).toMatch(/^not ok 1 conform /m);
  });

  it('--accel auto probes KVM and falls back to TCG where KVM cannot run the kernel', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: 'debian', scenarios: ['udp-pmtu'], accel: 'auto', ...quiet });
    const kvm = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
    if (r.accel.accel === 'tcg') {
      expect(r.accel.reason).toMatch(kvm ? /KVM does not run this kernel/ : /no usable \/dev\/kvm/);
    } else {
      expect(r.accel.reason).toMatch(/probe boot reached \/init/);
    }
    expect(r.exitCode).toBe(ExitCode.Clean);
  });
});
