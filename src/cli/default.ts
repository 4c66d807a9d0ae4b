import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { ExitCode } from '../core/errors.ts';

/** `peerprop default`: the main job on built-in inputs (what `npm start` runs). */
export const registerDefault: RegisterCommand = (program, io, state) => {
  program
    .command('default')
    .description('run the main job on built-in defaults: review the seed patch and replay the shipped real traces')
    .action(
      bindAction(state, async () => {
        io.stdout.write('peerprop: nothing wired yet\n');
        return ExitCode.Clean;
      }),
    );
};
