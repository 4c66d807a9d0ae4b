import type { RegisterCommand } from './io.ts';
import { registerDefault } from './default.ts';

/**
 * Every subcommand, in the order `--help` lists them.
 * Each lives in its own module under src/cli/ and only turns argv into options.
 */
export const commands: RegisterCommand[] = [registerDefault];
