/**
 * A review as a KCIDB test, `peerprop.review`, on the checkout "tree + patch": FAIL on an
 * error-level finding; ERROR when the review is partial (facts from the hunks alone: what the
 * tree would have shown is unknown); PASS only for a whole review without an error.
 */
import type { KcidbCheckoutIn, KcidbStatus, KcidbTestIn } from '../report/kcidb.ts';
import { sourceCheckout } from '../report/kcidb-source.ts';
import { findingLine } from './render.ts';
import type { ReviewReport } from './types.ts';

export function reviewStatus(r: ReviewReport): KcidbStatus {
  if (r.findings.some((f) => f.level === 'error')) return 'FAIL';
  if (r.partial) return 'ERROR';
  return 'PASS';
}

export function reviewTest(r: ReviewReport, startTime?: string): KcidbTestIn {
  const status = reviewStatus(r);
  const count = (l: string) => r.findings.filter((f) => f.level === l).length;
  const summary = `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info`;
  return {
    path: ['review'],
    status,
    comment: status === 'ERROR' ? `partial review (${r.mode}): ${r.missing.join('; ') || 'facts from the hunks alone'}` : `review of ${r.patch}: ${summary}`,
    log: [
      ...r.damage.map((d) => `${r.patch}:${d.line}: ${d.severity}: ${d.message}${d.action ? ` (${d.action})` : ''} [${d.code}]`),
      ...r.findings.map(findingLine),
      ...r.missing.map((m) => `not established: ${m}`),
    ],
    ...(startTime ? { startTime } : {}),
    misc: { mode: r.mode, form: r.form, partial: r.partial, findings: r.findings.length, exit_code: r.exitCode },
  };
}

/** `review --format kcidb`: the checkout (target + patch) with the review test. */
export function reviewToKcidb(r: ReviewReport, startTime?: string): KcidbCheckoutIn {
  return sourceCheckout({
    ...(r.mode !== 'hunks' && r.target ? { tree: r.target } : {}),
    patches: [r.patch],
    valid: true,
    log: r.damage.filter((d) => d.severity === 'repaired').map((d) => `${r.patch}:${d.line}: repaired: ${d.message}`),
    tests: [reviewTest(r, startTime)],
  });
}
