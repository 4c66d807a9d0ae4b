import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { runDefaultJob } from '../default/index.ts';

/** `peerprop default`: the main job on built-in defaults (what `npm start` runs). */
export const registerDefault: RegisterCommand = (program, io, state) => {
  program
    .command('default')
    .description(
      'run the main job on built-in defaults: review the seed patch against the fixture pre-image tree,\n' +
        'verify its C against the reference model, and replay the shipped real kernel traces (traces/)',
    )
    .action(
      bindAction(state, async () => {
        const result = await runDefaultJob();
        for (const s of result.sections) {
          io.stdout.write(`==== peerprop ${s.title}  [exit ${s.exitCode}]\n${s.body.replace(/\n*$/, '\n')}\n`);
        }
        io.stdout.write(`==== overall exit ${result.exitCode}\n`);
        return result.exitCode;
      }),
    );
};
