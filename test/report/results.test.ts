import { describe, expect, it } from 'vitest';
import { rollUp, type TestResult } from '../../src/report/results.ts';

const r = (status: TestResult['status']): TestResult => ({ name: status, status });

describe('rollUp', () => {
  it('error beats failure beats pass; skips never fail a parent; nothing is a skip', () => {
    expect(rollUp([])).toBe('skip');
    expect(rollUp([r('pass'), r('skip')])).toBe('pass');
    expect(rollUp([r('skip'), r('skip')])).toBe('skip');
    expect(rollUp([r('pass'), r('fail')])).toBe('fail');
    expect(rollUp([r('pass'), r('timeout')])).toBe('fail');
    expect(rollUp([r('fail'), r('error')])).toBe('error');
  });
});
