import { type Command, Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { badInput } from '../core/errors.ts';
import { SCAN_FORMATS, type ScanFormat } from '../scan/formats.ts';

function parseJobs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 256) {
    throw badInput(`--jobs expects a whole number from 1 to 256, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `peerprop scan`: CI verdicts for kernel trees and git history (src/scan). */
export const registerScan: RegisterCommand = (program, io, state) => {
  program
    .command('scan')
    .description(
      'check kernel trees or git history: era of net/ipv4/route.c and the genid protocol against the model\n' +
        'exit 0 all pass, 1 any divergence, 2 bad input or nothing checked, 3 git missing',
    )
    .argument('[dirs...]', 'kernel tree directories (with --git: -- PATH... limits the revisions to those changing PATH)')
    .option('--git <repo>', 'scan a git repository from its object store (no checkout)')
    .option('--revs <range>', 'revisions to scan with --git (A..B, or one revision)', undefined)
    .option('--bisect <good..bad>', 'with --git: first revision whose verdict differs from GOOD (first-parent)')
    .addOption(formatOption(SCAN_FORMATS, 'text'))
    .addOption(new Option('--jobs <n>', 'worker threads over distinct trees / blobs').default('1'))
    .action(
      bindAction(state, async (args: string[], opts: { git?: string; revs?: string; bisect?: string; format: ScanFormat; jobs: string }, cmd: Command) => {
        if (args.length === 0 && opts.git === undefined) throw badInput('scan: give kernel tree directories or --git REPO');
        // With --git, what follows `--` limits the revisions to those changing these paths (as git log).
        const raw = (cmd.parent as (Command & { rawArgs?: string[] }) | null)?.rawArgs ?? [];
        const dash = raw.indexOf('--');
        const paths = opts.git !== undefined && dash >= 0 ? raw.slice(dash + 1) : [];
        const dirs = args.slice(0, args.length - paths.length);
        // The analyser (tree-sitter, the C evaluator, git reading) is loaded only when this command runs.
        const { runScan } = await import('../scan/index.ts');
        return runScan(
          {
            dirs,
            ...(paths.length > 0 ? { paths } : {}),
            format: opts.format,
            jobs: parseJobs(opts.jobs),
            ...(opts.git !== undefined ? { git: opts.git } : {}),
            ...(opts.revs !== undefined ? { revs: opts.revs } : {}),
            ...(opts.bisect !== undefined ? { bisect: opts.bisect } : {}),
          },
          io.stdout,
        );
      }),
    );
};
