import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';

/** Where a command writes: stdout for results, stderr for logs. Tests pass their own. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  /** Standard input, for `-` as a file argument. */
  stdin: NodeJS.ReadableStream;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** A command's action: parsed arguments in, exit code out. No process.exit anywhere. */
// biome-ignore lint/suspicious/noExplicitAny: commander passes each command's own argument tuple
export type Action = (...args: any[]) => Promise<ExitCode> | ExitCode;

/** The result slot main() reads after commander has run an action. */
export interface RunState {
  exitCode: ExitCode;
}

/** Wraps an action so that its exit code reaches main(). */
export function bindAction(state: RunState, fn: Action): (...args: Parameters<Action>) => Promise<void> {
  return async (...args: Parameters<Action>) => {
    state.exitCode = await fn(...args);
  };
}

/** `--format` restricted to the formats a command supports. */
export function formatOption<T extends string>(formats: readonly T[], def: T): Option {
  return new Option('--format <format>', 'output format').choices(formats as unknown as string[]).default(def);
}

/** Each subcommand module exports one of these. */
export type RegisterCommand = (program: Command, io: Io, state: RunState) => void;
