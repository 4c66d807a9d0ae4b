/**
 * A tree of test results shared by the KTAP and JUnit writers (one writer per format,
 * over this common shape, as vitest does with its reporters).
 */
export type TestStatus = 'pass' | 'fail' | 'skip' | 'error' | 'timeout';

export interface TestResult {
  /** Short name; '#' is not allowed in KTAP descriptions and is replaced. */
  name: string;
  status: TestStatus;
  /** Why it was skipped / errored / failed, one line. */
  reason?: string;
  /** Diagnostic lines printed before the result (KTAP) or in the failure body (JUnit). */
  diagnostics?: string[];
  subtests?: TestResult[];
  durationMs?: number;
}

/** A parent fails if any subtest fails or errors; skips do not fail it. */
export function rollUp(results: TestResult[]): TestStatus {
  if (results.length === 0) return 'skip';
  if (results.some((r) => r.status === 'error')) return 'error';
  if (results.some((r) => r.status === 'fail' || r.status === 'timeout')) return 'fail';
  if (results.every((r) => r.status === 'skip')) return 'skip';
  return 'pass';
}
