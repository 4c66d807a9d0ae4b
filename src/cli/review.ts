import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { ExitCode } from '../core/errors.ts';
import { REVIEW_FORMATS, type ReviewFormat } from '../review/formats.ts';

interface ReviewCliOptions {
  tree?: string;
  file?: string;
  write?: boolean;
  format: ReviewFormat;
}

/** `peerprop review <patch>`: argv -> reviewPatch() -> rendered report + exit code. */
export const registerReview: RegisterCommand = (program, io, state) => {
  program
    .command('review')
    .description(
      'review a patch (diff, git format-patch, mbox): report its damage, apply it in memory to --tree or --file ' +
        '(or use the hunks alone), and say how the genid protocol facts of each changed function change. ' +
        'Exit 0 clean, 1 on an error-level finding, 2 bad input',
    )
    .argument('<patch>', 'patch file, or - for standard input')
    .option('--tree <dir>', 'kernel tree to apply the patch to (in memory)')
    .option('--file <path>', 'single C file to apply the patch to (in memory), e.g. net/ipv4/route.c')
    .option('--write', 'write the patched files into --tree / --file (default: never modified)')
    .addOption(formatOption(REVIEW_FORMATS, 'text'))
    .action(
      bindAction(state, async (patch: string, opts: ReviewCliOptions) => {
        // The reviewer (tree-sitter, the patch reader) is loaded only when this command runs.
        const { reviewPatch } = await import('../review/index.ts');
        const { renderReviewAs } = await import('../review/output.ts');
        const report = await reviewPatch({
          patch,
          ...(opts.tree ? { tree: opts.tree } : {}),
          ...(opts.file ? { file: opts.file } : {}),
          ...(opts.write ? { write: true } : {}),
          stdin: io.stdin,
        });
        io.stdout.write(renderReviewAs(report, opts.format));
        return report.exitCode === 1 ? ExitCode.Findings : ExitCode.Clean;
      }),
    );
};
