import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blankComments, enclosingFunctionName, findFunction, ifParts, lineIndex, lineOf } from '../../src/scan/ctext.ts';

describe('blankComments', () => {
  it('blanks comments and literals, keeping offsets and newlines', () => {
    const src = 'a /* x\ny */ b // z\n"s/*t" c\n';
    const out = blankComments(src);
    expect(out.length).toBe(src.length);
    expect(out.split('\n').length).toBe(src.split('\n').length);
    expect(out).not.toMatch(/[xyzst]/);
    expect(out).toBe("a     \n     b     \n\"    \" c\n");
  });
  it('never changes length or line structure (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '/', '*', '"', "'", '\\', '\n', ' ', '{', '}') }), (s) => {
        const out = blankComments(s);
        expect(out.length).toBe(s.length);
        for (let i = 0; i < s.length; i++) if (s[i] === '\n') expect(out[i]).toBe('\n');
      }),
    );
  });
});

describe('findFunction / ifParts / enclosingFunctionName', () => {
  const src = [
    'static int helper(int a);',
    'INDIRECT_CALLABLE_SCOPE struct dst_entry *ipv4_dst_check(struct dst_entry *dst,',
    '\t\t\t\t\t\t u32 cookie)',
    '{',
    '\tif (helper(1) && (dst->obsolete != 0)) {',
    '\t\treturn NULL;',
    '\t}',
    '\treturn dst;',
    '}',
    '',
    'int helper(int a)',
    '{',
    '\treturn ipv4_dst_check(0, a) != 0;',
    '}',
  ].join('\n');
  it('finds a definition, not a declaration or a call', () => {
    const f = findFunction(src, 'helper')!;
    expect(lineOf(src, f.start)).toBe(11);
    const g = findFunction(src, 'ipv4_dst_check')!;
    expect(lineOf(src, g.start)).toBe(2);
    expect(src.slice(g.bodyStart, g.end).startsWith('{')).toBe(true);
    expect(src.slice(g.bodyStart, g.end).endsWith('}')).toBe(true);
    expect(findFunction(src, 'absent')).toBeUndefined();
  });
  it('splits an if into balanced condition and body', () => {
    const i = src.indexOf('if (') + 3;
    const p = ifParts(src, i)!;
    expect(p.condition).toBe('helper(1) && (dst->obsolete != 0)');
    expect(p.body).toMatch(/^\{\s*return NULL;\s*\}$/);
  });
  it('names the enclosing function of an offset', () => {
    expect(enclosingFunctionName(src, src.indexOf('return NULL'))).toBe('ipv4_dst_check');
    expect(enclosingFunctionName(src, src.indexOf('return ipv4_dst_check'))).toBe('helper');
    expect(enclosingFunctionName(src, 3)).toBeUndefined();
  });
  it('lineIndex agrees with lineOf (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', 'b') }), fc.nat(), (s, k) => {
        const off = s.length === 0 ? 0 : k % s.length;
        expect(lineIndex(s)(off)).toBe(lineOf(s, off));
      }),
    );
  });
});
