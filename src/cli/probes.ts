import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop probes`: placeholder until its issue lands. */
export const registerProbes: RegisterCommand = (program, _io, state) => {
  program
    .command('probes')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('probes: not implemented yet', ExitCode.BadInput);
      }),
    );
};
