import { ExitCode } from '../core/errors.ts';
import type { ReplayReport } from './types.ts';

/** 1 if any trace diverges, else 2 if any had nothing to check, else 0. */
export function exitCodeFor(reports: readonly ReplayReport[]): ExitCode {
  if (reports.some((r) => r.verdict === 'divergent')) return ExitCode.Findings;
  if (reports.length === 0 || reports.some((r) => r.verdict === 'nothing-to-check')) return ExitCode.BadInput;
  return ExitCode.Clean;
}
