import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { ExitCode, badInput } from '../core/errors.ts';
import { ERAS, type Era } from '../model/types.ts';
import { VERIFY_FORMATS, type VerifyFormat } from '../verify/formats.ts';

interface VerifyCliOptions {
  tree?: string;
  era?: Era;
  runs: string;
  seed: string;
  depth?: string;
  format: VerifyFormat;
}

function intOption(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw badInput(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return Number(v);
}

/** `peerprop verify <patch>`: argv -> verify() -> report + exit code (0 pass, 1 divergence, 2 bad input). */
export const registerVerify: RegisterCommand = (program, io, state) => {
  program
    .command('verify')
    .description(
      "run the patch's own C (rt_bind_peer, ipv4_dst_check, ...) side by side with the reference model: exhaustive small-scope\n" +
        'sequences, the same at the 32-bit genid wrap, fast-check random sequences and two-CPU interleavings; report the shortest\n' +
        'divergence with the C line (and patch line) that made it. Exit 0 pass, 1 divergence, 2 bad input.',
    )
    .argument('<patch>', 'patch file (diff, git format-patch, mbox)')
    .option('--tree <dir>', 'kernel tree the patch applies to (in memory; never modified)')
    .addOption(new Option('--era <era>', 'protocol era (default: detected from the patched code)').choices(ERAS as unknown as string[]))
    .option('--runs <n>', 'random sequences (fast-check runs)', '1000')
    .option('--seed <s>', 'fast-check seed', '42')
    .option('--depth <k>', 'exhaustive scope: longest sequence (default 5; 4 in the pmtu-redirect era)')
    .addOption(formatOption(VERIFY_FORMATS, 'text'))
    .action(
      bindAction(state, async (patch: string, opts: VerifyCliOptions) => {
        // The verifier (tree-sitter, the C evaluator) is loaded only when this command runs.
        const { verify } = await import('../verify/index.ts');
        const { renderVerifyAs } = await import('../verify/output.ts');
        const report = await verify({
          patch,
          ...(opts.tree ? { tree: opts.tree } : {}),
          ...(opts.era ? { era: opts.era } : {}),
          runs: intOption('runs', opts.runs, 1),
          seed: intOption('seed', opts.seed, 0),
          ...(opts.depth !== undefined ? { depth: intOption('depth', opts.depth, 1) } : {}),
        });
        io.stdout.write(renderVerifyAs(report, opts.format, opts.tree));
        return report.ok ? ExitCode.Clean : ExitCode.Findings;
      }),
    );
};
