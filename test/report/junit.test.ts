import { describe, expect, it } from 'vitest';
import { toJunit } from '../../src/report/junit.ts';
import type { TestResult } from '../../src/report/results.ts';

describe('JUnit writer', () => {
  it('a suite per result with subtests, a case per leaf, counts and escaping', () => {
    const xml = toJunit('peerprop replay', [
      {
        name: 'trace <a> & "b"',
        status: 'fail',
        subtests: [
          { name: 'genid', status: 'pass', durationMs: 1500 },
          { name: 'bind', status: 'fail', reason: 'x < y', diagnostics: ['line 3: expected & observed'] },
          { name: 'flush', status: 'skip', reason: 'no flush' },
          { name: 'boot', status: 'error', reason: 'panic' },
        ],
      },
      { name: 'loose', status: 'pass' },
    ] satisfies TestResult[]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="peerprop replay" tests="5" failures="1" errors="1" skipped="1">')).toBe(true);
    expect(xml).toContain('<testsuite name="peerprop replay" tests="1"');
    expect(xml).toContain('<testsuite name="trace &lt;a&gt; &amp; &quot;b&quot;" tests="4" failures="1" errors="1" skipped="1" time="1.500">');
    expect(xml).toMatch(/<testcase [^>]*name="bind"[^>]*>\s*<failure message="x &lt; y"/);
    expect(xml).toContain('line 3: expected &amp; observed');
    expect(xml).toMatch(/<testcase [^>]*name="flush"[^>]*>\s*<skipped/);
    expect(xml).toMatch(/<testcase [^>]*name="boot"[^>]*>\s*<error/);
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
    // Well formed: every opened element is closed.
    const opened = (xml.match(/<(testsuites|testsuite|testcase)[\s>]/g) ?? []).length;
    const selfClosed = (xml.match(/<testcase [^>]*\/>/g) ?? []).length;
    const closed = (xml.match(/<\/(testsuites|testsuite|testcase)>/g) ?? []).length;
    expect(opened).toBe(closed + selfClosed);
  });
});
