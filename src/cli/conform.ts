import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { badInput } from '../core/errors.ts';
import { ERAS, type Era } from '../model/types.ts';
import type { ConformFormat } from '../harness/report.ts';
import { SCENARIO_NAMES } from '../harness/scenarios.ts';

const FORMATS: readonly ConformFormat[] = ['text', 'json', 'ktap', 'junit'];

interface ConformCliOptions {
  kernel: string;
  tree?: string;
  scenario?: string[];
  accel: 'auto' | 'tcg' | 'kvm';
  format: ConformFormat;
  keep?: string;
  timeout?: string;
  era?: Era;
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
    .option('--kernel <kernel>', 'debian (6.1 cloud), debian-6.12, or a path to a bzImage', 'debian')
    .option('--tree <dir>', 'build a small test kernel from this source tree (cached) and boot it')
    .option('--scenario <name...>', `scenarios to run (default: all): ${SCENARIO_NAMES.join(', ')}`)
    .addOption(new Option('--accel <accel>', 'accelerator: auto tries KVM with a short probe boot').choices(['auto', 'tcg', 'kvm']).default('tcg'))
    .addOption(formatOption(FORMATS, 'text'))
    .option('--keep <dir>', 'keep console.log, capture.txt, trace.txt, probes.txt, initramfs.cpio and report.json in DIR')
    .option('--timeout <seconds>', 'hard limit for the boot', '120')
    .addOption(new Option('--era <era>', 'model era (default: from the kernel version)').choices(ERAS as unknown as string[]))
    .action(
      bindAction(state, async (o: ConformCliOptions) => {
        const timeoutS = Number(o.timeout);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw badInput(`--timeout: not a positive number of seconds: ${o.timeout}`);
        const { runConform } = await import('../harness/conform.ts');
        const { renderConform } = await import('../harness/report.ts');
        const report = await runConform({
          kernel: o.kernel,
          tree: o.tree,
          scenarios: o.scenario,
          accel: o.accel,
          keep: o.keep,
          timeoutS,
          era: o.era,
        });
        io.stdout.write(renderConform(report, o.format));
        return report.exitCode;
      }),
    );
};
