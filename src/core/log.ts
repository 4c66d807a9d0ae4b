/**
 * Logging goes to the error stream of the command's I/O (process.stderr, or the stream main()
 * was given: in-process tests capture it), so stdout stays machine-readable (JSON, KTAP, SARIF).
 * Quiet in CI (CI=true) or without a TTY, except for warnings and errors.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where logs go; main() points it at its injected stderr for the duration of a command. */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

let sink: LogSink = process.stderr;

/** Sends logs to `to` until the returned function is called (which restores the previous sink). */
export function useLogSink(to: LogSink): () => void {
  const previous = sink;
  sink = to;
  return () => {
    sink = previous;
  };
}

/** The stream logs go to now (a progress display draws there when it is a terminal). */
export function logSink(): LogSink {
  return sink;
}

export function isInteractive(stream: { isTTY?: boolean } = sink): boolean {
  const ci = process.env.CI;
  return Boolean(stream.isTTY) && !(ci && ci !== 'false' && ci !== '0');
}

let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

export function isVerbose(): boolean {
  return verbose;
}

export const log = {
  debug(msg: string): void {
    if (verbose) sink.write(`peerprop: debug: ${msg}\n`);
  },
  info(msg: string): void {
    if (verbose || isInteractive()) sink.write(`peerprop: ${msg}\n`);
  },
  warn(msg: string): void {
    sink.write(`peerprop: warning: ${msg}\n`);
  },
  error(msg: string): void {
    sink.write(`peerprop: error: ${msg}\n`);
  },
};
