/**
 * Real two-CPU boots: Debian's 6.1 and 6.12 cloud kernels under QEMU with `-smp 2`, the workload's
 * two-CPU scenario (threads pinned to each CPU sending on routes to the same destinations while
 * each destination learns a PMTU). The contract must hold on both CPUs, and the trace, where both
 * CPUs check the same routes while exceptions kill them, must replay with no divergence.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConform } from '../../src/harness/conform.ts';
import { renderConform } from '../../src/harness/render.ts';
import { scenariosForEra } from '../../src/harness/scenarios.ts';
import { ExitCode } from '../../src/core/errors.ts';
import { realKernel } from '../kernel/real-kernels.ts';

const BOOT = 300_000;
const quiet = { log: () => {} };

describe.each([
  ['debian', /^6\.1\.\d+-\d+-cloud-amd64$/],
  ['debian-6.12', /^6\.12\./],
] as const)('conform --smp 2 on %s (TCG)', (kernel, release) => {
  it('the two-CPU scenario passes and its trace of both CPUs replays with no divergence', { timeout: BOOT }, async () => {
    const keep = await mkdtemp(join(tmpdir(), 'peerprop-conform-smp-'));
    const r = await runConform({ kernel, cpus: 2, scenarios: ['smp-pmtu'], keep, ...quiet });
    expect(r.kernel.release).toMatch(release);
    expect(r.kernel.cpus).toBe(2);
    const failed = r.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.reason}`);
    expect(failed, renderConform(r, 'text')).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.Clean);
    // Both halves of the scenario: the user's contract, and the trace replayed through the model.
    const ktap = renderConform(r, 'ktap');
    expect(ktap).toMatch(/^ {4}ok 1 contract$/m);
    expect(ktap).toMatch(/^ {4}ok 2 mechanism$/m);
    // The kept trace shows probe hits on both CPUs, checks among them.
    const text = await readFile(join(keep, 'trace.txt'), 'utf8');
    const cpuOf = (re: RegExp) => new Set([...text.matchAll(re)].map((m) => m[1]));
    expect(cpuOf(/\[(\d{3})\][^\n]*?: \w+:/g).size, text.slice(0, 2000)).toBeGreaterThanOrEqual(2);
    expect(cpuOf(/\[(\d{3})\][^\n]*?dst_check/g).size).toBeGreaterThanOrEqual(2);
  });
});

describe('scenario selection by CPUs', () => {
  it('the two-CPU scenario runs by default only on a guest with two CPUs or more', () => {
    expect(scenariosForEra('fnhe')).not.toContain('smp-pmtu');
    expect(scenariosForEra('fnhe', 2)).toContain('smp-pmtu');
  });
});

/**
 * PREEMPT_RT (Debian's linux-image-rt-amd64, 6.1): softirqs run in threads, in task context with
 * bottom halves disabled, and spinlocks sleep, so the route code runs preemptibly and interleaves
 * otherwise than on the cloud kernels. Every scenario, on two CPUs: the contract holds and the
 * trace replays with no divergence, and the trace shows that shape (the RT flag legend, route
 * work with bottom halves disabled, no line in softirq or hardirq context).
 */
describe('conform --smp 2 on debian-rt (PREEMPT_RT, TCG)', () => {
  it('every scenario passes, and the trace, with its softirq work in task context, replays with no divergence', { timeout: BOOT }, async () => {
    const keep = await mkdtemp(join(tmpdir(), 'peerprop-conform-rt-'));
    const r = await runConform({ kernel: 'debian-rt', cpus: 2, keep, ...quiet });
    expect(r.kernel.release).toMatch(/^6\.1\.\d+-\d+-rt-amd64$/);
    expect(await readFile((await realKernel('debian-rt')).config!, 'utf8')).toMatch(/^CONFIG_PREEMPT_RT=y$/m);
    const failed = r.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.reason}`);
    expect(failed, renderConform(r, 'text')).toEqual([]);
    expect(r.scenarios.map((s) => s.name)).toContain('smp-pmtu');
    expect(r.exitCode).toBe(ExitCode.Clean);
    expect(renderConform(r, 'text')).toMatch(/replay through the fnhe model: conformant, 0 divergence\(s\), [1-9]\d* invariant checks/);
    const text = await readFile(join(keep, 'trace.txt'), 'utf8');
    expect(text).toMatch(/need-resched-lazy/);
    // The flags column of each probe line: irqs-off/BH, need-resched, lazy, hardirq/softirq, ...
    const flags = [...text.matchAll(/^\s*\S+\s+\[\d{3}\]\s+(\S{7})\s+[\d.]+: (\w+):/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(flags.length).toBeGreaterThan(100);
    expect(flags.filter(([f, name]) => f[0] === 'b' && name.startsWith('dst_check')).length).toBeGreaterThan(0);
    expect(flags.filter(([f]) => f[3] !== '.')).toEqual([]);
  });
});
