import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toKtap } from '../../src/report/ktap.ts';
import type { TestResult } from '../../src/report/results.ts';

const tree: TestResult[] = [
  {
    name: 'conform 6.1.0',
    status: 'fail',
    diagnostics: ['run problem: none'],
    subtests: [
      { name: 'udp-pmtu', status: 'pass', subtests: [{ name: 'contract', status: 'pass' }, { name: 'mechanism', status: 'pass' }] },
      { name: 'flush#2', status: 'fail', reason: 'contract failed', diagnostics: ['FAIL: a line\nwith a newline'] },
      { name: 'redirect', status: 'skip', reason: 'not in this era' },
      { name: 'boot', status: 'error', reason: 'panic' },
    ],
  },
];

describe('KTAP writer', () => {
  it('writes KTAP v1: version, plan, subtests indented before their parent, diagnostics, SKIP/ERROR directives', () => {
    expect(toKtap(tree, ['peerprop conform'])).toBe(
      [
        'KTAP version 1',
        '# peerprop conform',
        '1..1',
        '  KTAP version 1',
        '  1..4',
        '    KTAP version 1',
        '    1..2',
        '    ok 1 contract',
        '    ok 2 mechanism',
        '  ok 1 udp-pmtu',
        '  # FAIL: a line with a newline',
        '  not ok 2 flush_2',
        '  ok 3 redirect # SKIP not in this era',
        '  not ok 4 boot # ERROR panic',
        '# run problem: none',
        'not ok 1 conform 6.1.0',
        '',
      ].join('\n'),
    );
  });

  it('every result line matches the KTAP grammar, whatever the names and reasons', () => {
    const result: fc.Arbitrary<TestResult> = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      status: fc.constantFrom('pass', 'fail', 'skip', 'error', 'timeout'),
      reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      diagnostics: fc.option(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), { nil: undefined }),
    }) as fc.Arbitrary<TestResult>;
    fc.assert(
      fc.property(fc.array(result, { minLength: 1, maxLength: 6 }), (results) => {
        const lines = toKtap(results).replace(/\n$/, '').split('\n');
        expect(lines[0]).toBe('KTAP version 1');
        expect(lines[1]).toBe(`1..${results.length}`);
        const resultLines = lines.filter((l) => /^(not )?ok /.test(l));
        expect(resultLines.length).toBe(results.length);
        resultLines.forEach((l, i) => expect(l).toMatch(new RegExp(`^(not )?ok ${i + 1} [^#\\n]*( # (SKIP|ERROR|TIMEOUT).*)?$`)));
        for (const l of lines) expect(l.startsWith('#') || /^(not )?ok |^KTAP version 1$|^1\.\.\d+$/.test(l)).toBe(true);
      }),
    );
  });
});
