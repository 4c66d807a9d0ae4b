/**
 * A scan as KCIDB: each tree or revision is a checkout (a revision with its commit hash and
 * subject) whose source was read, with one test `peerprop.scan`: PASS when what its era allows
 * was checked and agrees, FAIL on a divergence, ERROR when nothing could be checked (no route.c,
 * a parse error, an unknown era: the code's status is unknown).
 */
import type { KcidbCheckoutIn, KcidbStatus } from '../report/kcidb.ts';
import { sourceCheckout } from '../report/kcidb-source.ts';
import type { ScanEntry } from './types.ts';

function statusOf(e: ScanEntry): KcidbStatus {
  return e.verdict.status === 'pass' ? 'PASS' : e.verdict.status === 'divergence' ? 'FAIL' : 'ERROR';
}

function log(e: ScanEntry): string[] {
  const v = e.verdict;
  return [
    v.reason,
    ...(v.location ? [`at ${v.location.file}:${v.location.line}${v.location.column ? `:${v.location.column}` : ''}`] : []),
    ...(v.eraReason ? [`era ${v.era}: ${v.eraReason}`] : []),
    ...(v.details ?? []),
  ];
}

export function scanToKcidb(entries: readonly ScanEntry[], repository?: string, startTime?: string): KcidbCheckoutIn[] {
  return entries.map((e) => {
    const test = {
      path: ['scan'],
      status: statusOf(e),
      comment: `${e.verdict.era}: ${e.verdict.status === 'pass' && e.verdict.checked === 'facts' ? 'pass (facts only, no differential check)' : e.verdict.reason}`,
      log: log(e),
      ...(startTime ? { startTime } : {}),
      ...(e.verdict.timings ? { durationS: Object.values(e.verdict.timings).reduce((a, b) => a + (b ?? 0), 0) / 1000 } : {}),
      misc: { era: e.verdict.era, checked: e.verdict.checked, ...(e.reusedFrom ? { verdict_from: e.reusedFrom } : {}) },
    };
    if (e.kind === 'tree') return sourceCheckout({ tree: e.target, valid: true, tests: [test] });
    const base = sourceCheckout({ valid: true, tests: [test] });
    return {
      ...base,
      key: ['git', repository ?? '', e.target].join('\0'),
      comment: e.subject ?? e.target,
      gitCommitHash: e.target,
      ...(e.short ? { gitCommitName: e.short } : {}),
      ...(repository ? { gitRepositoryUrl: repository } : {}),
      misc: { revision: e.target },
    };
  });
}
