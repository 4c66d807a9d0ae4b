import type { TestResult } from './results.ts';

/**
 * JUnit XML for CI dashboards: one <testsuite> per top-level result that has subtests
 * (one per scenario, tree or trace), a <testcase> per leaf.
 */
export function toJunit(suiteName: string, results: TestResult[]): string {
  const suites: { name: string; cases: TestResult[] }[] = [];
  const loose: TestResult[] = [];
  for (const r of results) {
    if (r.subtests && r.subtests.length > 0) suites.push({ name: r.name, cases: flatten(r.subtests, '') });
    else loose.push(r);
  }
  if (loose.length > 0) suites.unshift({ name: suiteName, cases: loose });
  const all = suites.flatMap((s) => s.cases);
  const count = (pred: (r: TestResult) => boolean) => all.filter(pred).length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${esc(suiteName)}" tests="${all.length}" failures="${count(isFailure)}" errors="${count(isError)}" skipped="${count((r) => r.status === 'skip')}">`,
  );
  for (const s of suites) {
    const time = s.cases.reduce((t, r) => t + (r.durationMs ?? 0), 0) / 1000;
    out.push(
      `  <testsuite name="${esc(s.name)}" tests="${s.cases.length}" failures="${s.cases.filter(isFailure).length}" errors="${s.cases.filter(isError).length}" skipped="${s.cases.filter((r) => r.status === 'skip').length}" time="${time.toFixed(3)}">`,
    );
    for (const c of s.cases) out.push(...testcase(s.name, c));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function flatten(results: TestResult[], prefix: string): TestResult[] {
  return results.flatMap((r) =>
    r.subtests && r.subtests.length > 0 ? flatten(r.subtests, `${prefix}${r.name}.`) : [{ ...r, name: prefix + r.name }],
  );
}

const isFailure = (r: TestResult) => r.status === 'fail' || r.status === 'timeout';
const isError = (r: TestResult) => r.status === 'error';

function testcase(classname: string, r: TestResult): string[] {
  const time = ((r.durationMs ?? 0) / 1000).toFixed(3);
  const open = `    <testcase classname="${esc(classname)}" name="${esc(r.name)}" time="${time}"`;
  const body = (r.diagnostics ?? []).join('\n');
  const msg = esc(r.reason ?? r.diagnostics?.[0] ?? r.status);
  switch (r.status) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${msg}"/>`, '    </testcase>'];
    case 'error':
      return [`${open}>`, `      <error message="${msg}">${esc(body)}</error>`, '    </testcase>'];
    default:
      return [`${open}>`, `      <failure message="${msg}">${esc(body)}</failure>`, '    </testcase>'];
  }
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // XML 1.0 forbids most control characters even when escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
