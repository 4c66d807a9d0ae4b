/**
 * Exit codes shared by every command (README.md, the exit-code table).
 * A CI acts on these, so they never change meaning.
 */
export const ExitCode = {
  /** Conformant / clean: nothing to report. */
  Clean: 0,
  /** Findings: a divergence, a failing scenario, a review finding of error level. */
  Findings: 1,
  /** Bad input or usage: malformed patch or trace, wrong option, nothing to check. */
  BadInput: 2,
  /** Environment missing: no QEMU, no kernel package, no tracefs. */
  EnvMissing: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in a user's file an error points (1-based line and column). */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}

/**
 * An error meant for the user: one line, an exit code, and where it applies.
 * Anything else that escapes to the CLI is a bug and is reported as such.
 */
export class PeerpropError extends Error {
  readonly exitCode: ExitCode;
  readonly location?: SourceLocation;

  constructor(message: string, exitCode: ExitCode = ExitCode.BadInput, location?: SourceLocation) {
    super(message);
    this.name = 'PeerpropError';
    this.exitCode = exitCode;
    this.location = location;
  }

  /** The one line printed on stderr: `file:line:col: message`. */
  oneLine(): string {
    const where = formatLocation(this.location);
    return (where ? `${where}: ` : '') + this.message.replace(/\s*\n\s*/g, ' ');
  }
}

/** Bad input (exit 2) at a location. */
export function badInput(message: string, location?: SourceLocation): PeerpropError {
  return new PeerpropError(message, ExitCode.BadInput, location);
}

/** Missing environment (exit 3): QEMU, a kernel package, tracefs, ... */
export function envMissing(message: string): PeerpropError {
  return new PeerpropError(message, ExitCode.EnvMissing);
}
