/**
 * The conform round trip per kernel, split by stage, next to a bare boot to /init measured in
 * the same run (same kernel, same QEMU command line, an init that only prints and resets).
 * Targets: whole conform on the 6.1 cloud kernel under TCG < 5 s, and < 1.5 s above
 * the bare boot. Caches are warm (one untimed run first): kernel package, workload, base initramfs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import { runConform, type ConformReport } from '../src/harness/conform.ts';
import { bootQemu } from '../src/harness/qemu.ts';
import { buildInitramfs } from '../src/harness/initramfs.ts';
import { buildWorkload } from '../src/harness/workload-build.ts';
import { resolveKernel } from '../src/kernel/index.ts';

const KERNELS = (process.env.PEERPROP_BENCH_KERNELS ?? 'debian,debian-6.12').split(',').filter(Boolean);
const ROUNDS = Number(process.env.PEERPROP_BENCH_ROUNDS ?? 3);
const s = (ms: number | undefined) => (ms === undefined ? '   -  ' : `${(ms / 1000).toFixed(2)} s`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function bareBoot(kernel: string, dir: string): Promise<{ toInit: number; total: number; cpu: number }> {
  const wl = await buildWorkload();
  const initrd = join(dir, 'bare.cpio');
  await buildInitramfs({ workload: wl.path, probes: [], groups: [], scenarios: [], bare: true, output: initrd });
  const t0 = performance.now();
  const r = await bootQemu({ kernel, initrd, accel: 'tcg', timeoutMs: 60_000, captureFile: join(dir, 'bare.txt') });
  if (r.marks.INIT_START === undefined) throw new Error(`bare boot did not reach /init: ${r.console.slice(-300)}`);
  return { toInit: r.marks.INIT_START, total: performance.now() - t0, cpu: r.cpuMs ?? NaN };
}

/** The shared seed-era kernels (beside the clone): the patch commit alone and 2.6.39.3. */
const SEED_DIRS = ['linux-6431cbc', 'linux-2.6.39.3'].map((d) => join(import.meta.dirname, '../../shared/kernels', d)).filter((d) => existsSync(join(d, 'bzImage')));

/** Seed-era round trip with a cached kernel (vmlinux decompressed, BTF encoded, workload built): target < 3 s under TCG. */
async function seedEra(dir: string): Promise<void> {
  for (const kdir of SEED_DIRS) {
    for (const cpus of [1, 2]) {
      await runConform({ kernel: kdir, cpus, log: () => {} }); // warm the caches
      const bare: { toInit: number; total: number; cpu: number }[] = [];
      const runs: ConformReport[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        bare.push(await bareBoot(join(kdir, 'bzImage'), dir));
        runs.push(await runConform({ kernel: kdir, cpus, log: () => {} }));
      }
      const stage = (k: keyof ConformReport['timings']) => median(runs.map((r) => r.timings[k] ?? NaN));
      const passed = runs.every((r) => r.exitCode === 0);
      process.stdout.write(
        [
          `seed era: ${basename(kdir)} (${runs[0]!.kernel.release}, era ${runs[0]!.era}), TCG, ${cpus} vCPU, ${runs[0]!.scenarios.length} scenarios, median of ${ROUNDS} (${passed ? 'all conformant' : 'NOT all conformant'}):`,
          `  bare boot: to /init ${s(median(bare.map((b) => b.toInit)))}, QEMU start to exit ${s(median(bare.map((b) => b.total)))}, QEMU CPU ${s(median(bare.map((b) => b.cpu)))}`,
          `  conform:   probe generation ${s(stage('probes'))} | initramfs ${s(stage('initramfs'))} | boot to /init ${s(stage('bootToInit'))} | guest probes ${s(stage('guestProbes'))} | scenarios ${s(stage('scenarios'))} | capture ${s(stage('capture'))} | replay ${s(stage('replay'))}`,
          `  round trip ${s(stage('total'))} (target < 3 s), QEMU wall ${s(stage('qemu'))}, QEMU CPU ${s(stage('qemuCpu'))}; host load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
          ...runs.flatMap((r, i) => [...r.problems.map((p) => `  run ${i + 1}: ${p.kind}: ${p.message}`), ...r.scenarios.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `  run ${i + 1}: ${x.name}: ${x.reason}`)]),
          '',
        ].join('\n'),
      );
    }
  }
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'peerprop-bench-'));
  try {
    if (process.env.PEERPROP_BENCH_SEED !== '0') await seedEra(dir);
    for (const spec of KERNELS) {
      const k = await resolveKernel(spec, { log: () => {} });
      await runConform({ kernel: spec, log: () => {} }); // warm the caches
      const bare: { toInit: number; total: number; cpu: number }[] = [];
      const runs: ConformReport[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        bare.push(await bareBoot(k.vmlinuz, dir));
        runs.push(await runConform({ kernel: spec, log: () => {} }));
      }
      const stage = (k: keyof ConformReport['timings']) => median(runs.map((r) => r.timings[k] ?? NaN));
      const total = stage('total');
      const bareTotal = median(bare.map((b) => b.total));
      const passed = runs.every((r) => r.exitCode === 0);
      process.stdout.write(
        [
          `${spec} (${k.release}), TCG, ${runs[0]!.scenarios.length} scenarios, median of ${ROUNDS} (${passed ? 'all conformant' : 'NOT all conformant'}):`,
          `  bare boot: to /init ${s(median(bare.map((b) => b.toInit)))}, QEMU start to exit ${s(bareTotal)}`,
          `  conform:   kernel ${s(stage('kernel'))} | probe generation ${s(stage('probes'))} | initramfs ${s(stage('initramfs'))} | boot to /init ${s(stage('bootToInit'))} | guest probes ${s(stage('guestProbes'))} (tun.ko ${s(stage('guestModules'))}, kallsyms ${s(stage('guestKallsyms'))}, register ${s(stage('guestRegister'))}, enable ${s(stage('guestEnable'))}) | scenarios ${s(stage('scenarios'))} | capture ${s(stage('capture'))} | replay ${s(stage('replay'))}`,
          `  whole conform ${s(total)} (target < 5 s on 6.1), ${s(total - bareTotal)} above the bare boot (target < 1.5 s); trace ${runs[0]!.trace.lines} lines, ${runs[0]!.trace.events} events`,
          `  QEMU CPU time (less sensitive to a loaded host): bare ${s(median(bare.map((b) => b.cpu)))}, conform ${s(stage('qemuCpu'))}, ` +
            `difference ${s(stage('qemuCpu') - median(bare.map((b) => b.cpu)))}; host load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
