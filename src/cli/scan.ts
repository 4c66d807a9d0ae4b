import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

/** `peerprop scan`: placeholder until its issue lands. */
export const registerScan: RegisterCommand = (program, _io, state) => {
  program
    .command('scan')
    .description('(not yet implemented)')
    .action(
      bindAction(state, async () => {
        throw new PeerpropError('scan: not implemented yet', ExitCode.BadInput);
      }),
    );
};
