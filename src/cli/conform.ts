import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop conform`: placeholder until its issue lands. */
export const registerConform: RegisterCommand = (program, _io, state) => {
  program
    .command('conform')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('conform: not implemented yet', ExitCode.BadInput);
      }),
    );
};
