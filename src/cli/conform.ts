import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { badInput } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { ERAS, type Era } from '../model/types.ts';
import type { ConformFormat } from '../harness/render.ts';
import { SCENARIO_NAMES } from '../harness/scenarios.ts';

const FORMATS: readonly ConformFormat[] = ['text', 'json', 'ktap', 'junit', 'html', 'kcidb'];

interface ConformCliOptions {
  kernel: string[];
  shard?: string;
  runId?: string;
  tree?: string;
  scenario?: string[];
  accel: 'auto' | 'tcg' | 'kvm';
  format: ConformFormat;
  keep?: string;
  timeout?: string;
  smp: string;
  era?: Era;
  git?: string;
  rev?: string;
  bisect?: string;
  paths?: string[];
  firstParent?: boolean;
  jobs?: string;
}

/** `peerprop conform`: boot a real kernel under QEMU, run the TUN scenarios, judge contract and mechanism. */
export const registerConform: RegisterCommand = (program, io, state) => {
  program
    .command('conform')
    .description(
      "boot a kernel under QEMU with generated probes and the TUN workload; check each scenario's " +
        "user-visible contract and its mechanism trace against the era's model " +
        '(exit 0 conformant, 1 divergence or failed run, 2 refused input, 3 environment missing)',
    )
    .option('--kernel <kernel...>', 'debian (6.1 cloud), debian-6.12, debian-rt (6.1 PREEMPT_RT), a bzImage, or a directory with bzImage + vmlinux[.xz] + System.map (seed-era builds); several only with --shard', ['debian'])
    .option('--tree <dir>', 'build a test kernel from this source tree (seed era or modern; cached) and boot it')
    .option('--git <repo>', 'a git repository with kernel history: with --rev, build and boot that revision; with --bisect, bisect it')
    .option('--rev <rev>', 'with --git: the revision to build and boot')
    .option('--bisect <good..bad>', 'with --git: build and boot midpoints; print the first commit whose verdict differs from GOOD\'s')
    .option('--paths <path...>', 'with --bisect: only commits touching these paths (default: net/ipv4 include/net)')
    .option('--first-parent', "with --bisect: follow BAD's first-parent line only (default: the full DAG, as git bisect)")
    .option('--jobs <n>', 'make -j for kernel builds (default: the number of CPUs)')
    .option('--scenario <name...>', `scenarios to run (default: all): ${SCENARIO_NAMES.join(', ')}`)
    .addOption(new Option('--accel <accel>', 'accelerator: auto tries KVM with a short probe boot').choices(['auto', 'tcg', 'kvm']).default('tcg'))
    .addOption(formatOption(FORMATS, 'text'))
    .option('--keep <dir>', 'keep console.log, capture.txt, trace.txt, probes.txt, initramfs.cpio and report.json in DIR')
    .option('--timeout <seconds>', 'hard limit for the boot', '120')
    .option('--shard <I/N>', 'run shard I of N of the --kernel x --scenario matrix (peerprop matrix; the partition is in README "Running in CI"); prints json, text or ktap')
    .option('--run-id <id>', 'with --shard: the CI run the shard belongs to (default: $GITHUB_RUN_ID, $CI_PIPELINE_ID); merge refuses shards of different runs')
    .option('--smp <n>', 'virtual CPUs of the guest (the two-CPU scenarios pin a thread to each)', '1')
    .addOption(new Option('--era <era>', "model era (default: from the kernel's code: symbols, types)").choices(ERAS as unknown as string[]))
    .action(
      bindAction(state, async (o: ConformCliOptions) => {
        const timeoutS = Number(o.timeout);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw badInput(`--timeout: not a positive number of seconds: ${o.timeout}`);
        const cpus = Number(o.smp);
        if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8) throw badInput(`--smp: not a number of CPUs (1..8): ${o.smp}`);
        const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
        if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw badInput(`--jobs: not a positive integer: ${o.jobs}`);
        if ((o.rev || o.bisect) && !o.git) throw badInput(`${o.rev ? '--rev' : '--bisect'} needs --git REPO`);
        if (o.git && !!o.rev === !!o.bisect) throw badInput('--git needs either --rev REV or --bisect GOOD..BAD');
        if (o.git && o.tree) throw badInput('give --tree or --git, not both');
        if (o.shard !== undefined) {
          if (o.git || o.tree) throw badInput('--shard runs the --kernel list of a matrix: not with --tree or --git');
          const { runConformShard } = await import('./conform-shard.ts');
          return runConformShard({ ...o, shard: o.shard, timeoutS, cpus }, io);
        }
        if (o.runId !== undefined) throw badInput('--run-id names the run of a shard: it needs --shard I/N');
        if (o.kernel.length > 1) throw badInput(`${o.kernel.length} kernels: one run boots one kernel (a matrix of kernels: --shard I/N, or peerprop matrix)`);
        if (o.bisect) {
          if (o.format !== 'text' && o.format !== 'json') throw badInput('--bisect prints text or json');
          const { liveBisect, renderBisect, bisectExitCode } = await import('../harness/bisect-conform.ts');
          const r = await liveBisect({
            repo: o.git!,
            range: o.bisect,
            scenarios: o.scenario,
            paths: o.paths ?? ['net/ipv4', 'include/net'],
            firstParent: o.firstParent,
            accel: o.accel,
            timeoutS,
            era: o.era,
            jobs,
            log: (s) => log.info(s),
          });
          io.stdout.write(renderBisect(r, o.format));
          return bisectExitCode(r);
        }
        const { conformFromSource } = await import('../harness/build/index.ts');
        const { renderConform } = await import('../harness/render.ts');
        const report = await conformFromSource({
          git: o.git,
          rev: o.rev,
          jobs,
          kernel: o.kernel[0],
          tree: o.tree,
          scenarios: o.scenario,
          accel: o.accel,
          keep: o.keep,
          timeoutS,
          cpus,
          era: o.era,
        });
        io.stdout.write(renderConform(report, o.format));
        return report.exitCode;
      }),
    );
};
