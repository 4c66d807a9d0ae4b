import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop verify`: placeholder until its issue lands. */
export const registerVerify: RegisterCommand = (program, _io, state) => {
  program
    .command('verify')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('verify: not implemented yet', ExitCode.BadInput);
      }),
    );
};
