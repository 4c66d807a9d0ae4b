import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop review`: placeholder until its issue lands. */
export const registerReview: RegisterCommand = (program, _io, state) => {
  program
    .command('review')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('review: not implemented yet', ExitCode.BadInput);
      }),
    );
};
