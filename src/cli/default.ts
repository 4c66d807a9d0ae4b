import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { writeFileAtomic } from '../core/files.ts';

/** `peerprop default`: the main job on built-in defaults (what `npm start` runs). */
export const registerDefault: RegisterCommand = (program, io, state) => {
  program
    .command('default')
    .description(
      'run the main job on built-in defaults: review the seed patch against the fixture pre-image tree,\n' +
        'verify its C against the reference model, and replay the shipped real kernel traces (traces/)',
    )
    .option('--html <file>', 'also write the whole job as one self-contained HTML page here', 'peerprop-report.html')
    .option('--no-html', 'do not write the HTML page')
    .action(
      bindAction(state, async (opts: { html: string | false }) => {
        const { runDefaultJob } = await import('../default/index.ts');
        const result = await runDefaultJob();
        if (opts.html) {
          await writeFileAtomic(opts.html, result.html);
          io.stderr.write(`peerprop: the same report as HTML: ${opts.html}\n`);
        }
        for (const s of result.sections) {
          io.stdout.write(`==== peerprop ${s.title}  [exit ${s.exitCode}]\n${s.body.replace(/\n*$/, '\n')}\n`);
        }
        io.stdout.write(`==== overall exit ${result.exitCode}\n`);
        return result.exitCode;
      }),
    );
};
