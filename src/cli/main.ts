import { Command, CommanderError } from 'commander';
import { ExitCode, PeerpropError } from '../core/errors.ts';
import { setVerbose, useLogSink, type LogSink } from '../core/log.ts';
import { processIo, type Io, type RunState } from './io.ts';
import { commands } from './commands.ts';

/** Builds the program; exported so tests can inspect it. */
export function buildProgram(io: Io, state: RunState): Command {
  const program = new Command('peerprop')
    .description(
      'Companion of "inet: Create a mechanism for upward inetpeer propagation into routes":\n' +
        'patch review, reference model, trace replay, QEMU conformance and CI scans of the route/inetpeer genid protocol.',
    )
    .option('--debug', 'show stack traces and debug logs')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError(false)
    .hook('preAction', (cmd) => {
      if (cmd.opts().debug) setVerbose(true);
    });
  for (const register of commands) register(program, io, state);
  return program;
}

/**
 * Runs the CLI. Returns the exit code and sets process.exitCode; never calls process.exit.
 * Usage errors are exit 2; PeerpropError carries its own code; anything else is a bug
 * (one line, exit 2, stack only with --debug).
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const state: RunState = { exitCode: ExitCode.Clean };
  const program = buildProgram(io, state);
  const debug = argv.includes('--debug');
  // Logs and progress of this command go to its own stderr (captured in in-process tests).
  const restoreLog = useLogSink(io.stderr as LogSink);
  let code: number;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = state.exitCode;
  } catch (err) {
    code = reportError(err, io, debug);
  } finally {
    restoreLog();
  }
  if (io === processIo) process.exitCode = code;
  return code;
}

function reportError(err: unknown, io: Io, debug: boolean): number {
  if (err instanceof CommanderError) {
    // --help and --version exit through here with code 0.
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    // commander already printed "error: ..." on stderr.
    return ExitCode.BadInput;
  }
  if (err instanceof PeerpropError) {
    io.stderr.write(`peerprop: ${err.oneLine()}\n`);
    if (debug && err.stack) io.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOTDIR')) {
    io.stderr.write(`peerprop: ${e.path ?? ''}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}\n`);
    return ExitCode.BadInput;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`peerprop: internal error: ${msg.split('\n')[0]} (re-run with --debug for details)\n`);
  if (debug && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
  return ExitCode.BadInput;
}
