/**
 * Logging goes to stderr so stdout stays machine-readable (JSON, KTAP, SARIF).
 * Quiet in CI (CI=true) or without a TTY, except for warnings and errors.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
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
    if (verbose) process.stderr.write(`peerprop: debug: ${msg}\n`);
  },
  info(msg: string): void {
    if (verbose || isInteractive()) process.stderr.write(`peerprop: ${msg}\n`);
  },
  warn(msg: string): void {
    process.stderr.write(`peerprop: warning: ${msg}\n`);
  },
  error(msg: string): void {
    process.stderr.write(`peerprop: error: ${msg}\n`);
  },
};
