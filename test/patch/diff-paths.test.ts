import { describe, expect, it } from 'vitest';
import { gitHeaderPaths, headerPath, stripPrefixes, unquotePath } from '../../src/patch/diff-paths.ts';

describe('diff header paths', () => {
  it('unquotes git C-quoted paths: octal UTF-8 bytes and simple escapes', () => {
    expect(unquotePath('"caf\\303\\251.c"')).toBe('café.c');
    expect(unquotePath('"a\\tb\\"c\\\\d"')).toBe('a\tb"c\\d');
    expect(unquotePath('plain name.c')).toBe('plain name.c');
    expect(unquotePath('"')).toBe('"');
  });

  it('drops the marker and a timestamp after a tab from ---/+++ lines', () => {
    expect(headerPath('--- a/net/ipv4/route.c\t2012-06-10 12:00:00.000000000 +0200')).toBe('a/net/ipv4/route.c');
    expect(headerPath('+++ "b/x y.c"  ')).toBe('b/x y.c');
  });

  it('splits a diff --git line exactly when both sides are equal, even with spaces', () => {
    expect(gitHeaderPaths('a/dir b/x.c b/dir b/x.c')).toEqual(['a/dir b/x.c', 'b/dir b/x.c']);
    expect(gitHeaderPaths('a/old.c b/new.c')).toEqual(['a/old.c', 'b/new.c']);
    expect(gitHeaderPaths('"a/x\\303\\251" "b/x\\303\\251"')).toEqual(['a/xé', 'b/xé']);
    expect(gitHeaderPaths('nothing-to-split')).toBeUndefined();
  });

  it('strips a/ b/ (always for git), a differing first directory otherwise, never absolute paths', () => {
    expect(stripPrefixes('a/net/x.c', 'b/net/x.c', true)).toEqual(['net/x.c', 'net/x.c']);
    expect(stripPrefixes('/dev/null', 'b/net/x.c', false)).toEqual(['/dev/null', 'net/x.c']);
    expect(stripPrefixes('linux.orig/net/x.c', 'linux/net/x.c', false)).toEqual(['net/x.c', 'net/x.c']);
    expect(stripPrefixes('/abs/x.c', '/other/x.c', false)).toEqual(['/abs/x.c', '/other/x.c']);
    expect(stripPrefixes('net/x.c', 'net/x.c', false)).toEqual(['net/x.c', 'net/x.c']);
  });
});
