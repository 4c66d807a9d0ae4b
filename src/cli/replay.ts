import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop replay`: placeholder until its issue lands. */
export const registerReplay: RegisterCommand = (program, _io, state) => {
  program
    .command('replay')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('replay: not implemented yet', ExitCode.BadInput);
      }),
    );
};
