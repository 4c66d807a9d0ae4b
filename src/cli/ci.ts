import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { badInput } from '../core/errors.ts';

interface CiCliOptions {
  tree?: string;
  git?: string;
  revs?: string;
  patch?: string[];
  kernel?: string[];
  scenario?: string[];
  accel: 'auto' | 'tcg' | 'kvm';
  smp?: string;
  timeout?: string;
  jobs?: string;
  out: string;
}

function positiveInt(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) throw badInput(`--${name}: not a whole number from 1 to ${max}: ${v}`);
  return n;
}

/** `peerprop ci`: every check that applies, every format into one directory, one exit code. */
export const registerCi: RegisterCommand = (program, io, state) => {
  program
    .command('ci')
    .description(
      'run what applies in one go: review and verify of each patch, scan of the tree or the git range, conform on each kernel;\n' +
        'write text, JSON, KTAP, JUnit, SARIF, KCIDB and HTML into --out DIR; print one summary line.\n' +
        'Exit: the worst part (0 clean, 1 findings, 2 bad input, 3 environment missing)',
    )
    .option('--tree <dir>', 'kernel tree: scanned, and the tree each patch is reviewed and verified against')
    .option('--git <repo>', 'git repository to scan over --revs (instead of --tree)')
    .option('--revs <range>', 'with --git: revisions to scan (A..B, or one revision; default HEAD)')
    .option('--patch <file...>', 'patches to review and verify')
    .option('--kernel <kernel...>', 'kernels to boot with conform: debian, debian-6.12, debian-rt, a bzImage, a kernel directory')
    .option('--scenario <name...>', 'conform: scenarios to run (default: those of the kernel\'s era)')
    .addOption(new Option('--accel <accel>', 'conform: accelerator').choices(['auto', 'tcg', 'kvm']).default('tcg'))
    .option('--smp <n>', 'conform: virtual CPUs of the guest')
    .option('--timeout <seconds>', 'conform: hard limit for each boot')
    .option('--jobs <n>', 'scan: worker threads')
    .requiredOption('--out <dir>', 'directory for every report (created when missing)')
    .action(
      bindAction(state, async (o: CiCliOptions) => {
        const timeoutS = positiveInt('timeout', o.timeout, 3600);
        const { runCi } = await import('../ci/index.ts');
        const r = await runCi({
          ...(o.tree !== undefined ? { tree: o.tree } : {}),
          ...(o.git !== undefined ? { git: o.git } : {}),
          ...(o.revs !== undefined ? { revs: o.revs } : {}),
          patches: o.patch ?? [],
          kernels: o.kernel ?? [],
          ...(o.scenario ? { scenarios: o.scenario.flatMap((s) => s.split(',')).filter(Boolean) } : {}),
          accel: o.accel,
          ...(o.smp !== undefined ? { cpus: positiveInt('smp', o.smp, 8) } : {}),
          ...(timeoutS !== undefined ? { timeoutS } : {}),
          ...(o.jobs !== undefined ? { jobs: positiveInt('jobs', o.jobs, 256) } : {}),
          out: o.out,
        });
        io.stdout.write(r.summary + '\n');
        return r.exitCode;
      }),
    );
};
