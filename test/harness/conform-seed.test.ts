/**
 * Real boots of the shared seed-era kernels (../shared/kernels): the patch commit alone
 * (linux-6431cbc, era seed) and 2.6.39.3 (era pmtu-redirect, stage S2), with one and two vCPUs,
 * through the CLI as a user types it; and the proofs that a seed-era run can fail.
 */
import { describe, expect, it } from 'vitest';
import { runConform } from '../../src/harness/conform.ts';
import { renderConform } from '../../src/harness/render.ts';
import { scenariosForEra } from '../../src/harness/scenarios.ts';
import { ExitCode } from '../../src/core/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { haveSeedKernels, PATCH_COMMIT, STABLE_2639 } from '../kernel/seed-kernels.ts';

const BOOT = 300_000;
const quiet = { log: () => {} };

function scenarioLines(ktap: string): [string, string][] {
  return ktap.split('\n').filter((l) => /^ {2}(ok|not ok) \d+ /.test(l)).map((l) => {
    const m = /^ {2}(ok|not ok) \d+ (\S+)/.exec(l)!;
    return [m[1]!, m[2]!];
  });
}

const KERNELS = [
  { dir: PATCH_COMMIT, era: 'seed', release: '2.6.38-rc2' },
  { dir: STABLE_2639, era: 'pmtu-redirect', release: '2.6.39.3' },
] as const;

describe.skipIf(!haveSeedKernels)('conform --kernel DIR on the seed-era kernels (TCG)', () => {
  for (const k of KERNELS) {
    for (const cpus of [1, 2]) {
      it(`${k.release}, ${cpus} vCPU: every ${k.era} scenario passes, contract and mechanism (--format ktap)`, { timeout: BOOT }, async () => {
        const r = await runCli(['conform', '--kernel', k.dir, '--smp', String(cpus), '--format', 'ktap']);
        const names = scenariosForEra(k.era);
        expect(scenarioLines(r.out), r.out + r.err).toEqual(names.map((n) => ['ok', n]));
        expect(r.out).toMatch(new RegExp(`^ok 1 conform ${k.release.replace(/\./g, '\\.')}`, 'm'));
        // A mechanism half may be unchecked (SKIP, with its reason): never failed, never silently passed.
        expect(r.out.match(/^ {4}ok 2 mechanism( # SKIP .+)?$/gm)?.length).toBe(names.length);
        expect(r.out).not.toMatch(/^ {4}not ok/m);
        if (cpus === 2) {
          // the two threads really ran on two CPUs
          expect(r.out).toMatch(/# ok: T0 ran on CPU 0/);
          expect(r.out).toMatch(/# ok: T1 ran on CPU 1/);
        }
        expect(r.code).toBe(0);
      });
    }
  }

  it('the report says which era and why, the probes the patch commit refused in full went in short', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: PATCH_COMMIT, scenarios: ['seed-frag-needed'], ...quiet });
    expect(r.era).toBe('seed');
    expect(r.eraFrom).toContain('__rt_peer_genid in read-only data (nothing bumps it)');
    expect(r.probes.refused).toEqual([]);
    // its kprobe_events takes lines under 128 bytes: dst_check and friends registered through their short fallback
    expect(r.probes.fellBack.some((l) => l.startsWith('p:rtg/dst_check '))).toBe(true);
    expect(r.trace.replay).toMatch(/through the seed model: conformant/);
    expect(r.exitCode).toBe(ExitCode.Clean);
  });
});

describe.skipIf(!haveSeedKernels)('a seed-era run can fail', () => {
  it('2.6.39.3 judged as the patch commit (--era seed): its genid bumps are divergences', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: STABLE_2639, era: 'seed', scenarios: ['seed-frag-needed', 'seed-redirect'], ...quiet });
    expect(r.eraFrom).toEqual(['--era']);
    expect(r.exitCode).toBe(ExitCode.Findings);
    for (const s of r.scenarios) {
      expect(s.mechanism.status, s.name).toBe('fail');
      expect(s.mechanism.diagnostics.join('\n')).toMatch(/unexpected: an increment of the genid .*capture\.txt:\d+/);
    }
  });

  it('a dropped frag-needed fails the scenario on the patch commit, contract and mechanism', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: PATCH_COMMIT, scenarios: ['seed-frag-needed', 'seed-redirect'], dropInjection: 'seed-frag-needed', ...quiet });
    expect(scenarioLines(renderConform(r, 'ktap'))).toEqual([['not ok', 'seed-frag-needed'], ['ok', 'seed-redirect']]);
    const f = r.scenarios[0]!;
    expect(f.contract.checks.find((c) => !c.ok)?.what).toMatch(/EMSGSIZE/);
    expect(f.mechanism.status).toBe('fail');
    expect(r.exitCode).toBe(ExitCode.Findings);
  });

  it('a scenario outside the era is skipped with the reason, never passed', { timeout: BOOT }, async () => {
    const r = await runConform({ kernel: PATCH_COMMIT, scenarios: ['seed-frag-needed', 'seed-pmtu-expires'], ...quiet });
    expect(r.scenarios[1]).toMatchObject({ name: 'seed-pmtu-expires', status: 'skip', reason: "not part of the seed era's contract" });
  });
});
