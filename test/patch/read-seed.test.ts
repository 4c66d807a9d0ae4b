import { describe, expect, it } from 'vitest';
import { readPatch, readPatchFile, allFilePatches, requireDiff, hunkImages } from '../../src/patch/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { healedSeed, repoRoot, SEED, seedPath, seedText } from './fixtures.ts';

describe('the seed patch as given (git apply: "corrupt patch at line 84")', () => {
  it('is byte-identical to the shared seed', () => {
    expect(readFileSync(seedPath)).toEqual(readFileSync(resolve(repoRoot, '../shared/seed/route-genid.patch')));
  });

  it('reads 1 commit, 1 file, 3 hunks with the commit metadata', async () => {
    const set = await readPatchFile(seedPath);
    expect(set.form).toBe('diff');
    expect(set.lineCount).toBe(84);
    expect(set.commits).toHaveLength(1);
    const c = set.commits[0]!;
    expect(c.subject).toBe('inet: Create a mechanism for upward inetpeer propagation into routes.');
    expect(c.subjectLine).toBe(1);
    expect(c.signedOffBy).toEqual(['David S. Miller <davem@davemloft.net>']);
    // No From: header: by kernel convention the first sign-off is the author.
    expect(c.author).toBe('David S. Miller <davem@davemloft.net>');
    expect(c.authorSource).toBe('sign-off');
    expect(c.message.startsWith('If we didn\'t have a routing cache')).toBe(true);
    expect(c.message.endsWith('Signed-off-by: David S. Miller <davem@davemloft.net>')).toBe(true);
    expect(c.diffLine).toBe(SEED.diff);
    const files = allFilePatches(set);
    expect(files).toHaveLength(1);
    const f = files[0]!;
    expect(f).toMatchObject({ oldPath: 'net/ipv4/route.c', newPath: 'net/ipv4/route.c', headerLine: 41, oldBlob: '0455af8', newBlob: '0979e03' });
    expect(f.hunks.map((h) => [h.index, h.headerLine, h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [1, 45, 1308, 6, 1308, 13],
      [2, 59, 1316, 6, 1323, 8],
      [3, 68, 1767, 7, 1776, 15],
    ]);
    expect(f.hunks[2]!.declared).toEqual({ oldLines: 8, newLines: 16 });
    expect(f.hunks[0]!.lines.filter((l) => l.kind === '+')).toHaveLength(7);
    expect(f.hunks[2]!.lines.map((l) => l.kind).join('')).toBe('   -+++ ++++++  ');
  });

  it('diagnoses exactly the lost trailing context line of hunk 3 at line 84, and repairs it', () => {
    const set = readPatch(seedText, 'route-genid.patch');
    expect(set.diagnostics).toHaveLength(1);
    const d = set.diagnostics[0]!;
    expect(d).toMatchObject({ severity: 'repaired', code: 'missing-trailing-context', line: SEED.last });
    expect(d.message).toContain('hunk 3 of net/ipv4/route.c');
    expect(d.message).toContain('at line 68');
    expect(d.message).toContain('7 of 8 pre-image and 15 of 16 post-image lines');
    expect(d.message).toContain('no final newline');
    expect(d.action).toContain('-1767,7 +1776,15');
    expect(() => requireDiff(set)).not.toThrow();
  });

  it('reads the healed seed (blank context line restored) with no diagnostics and the declared counts', () => {
    const set = readPatch(healedSeed, 'healed.patch');
    expect(set.diagnostics).toEqual([]);
    const h = set.commits[0]!.files[0]!.hunks[2]!;
    expect([h.oldLines, h.newLines, h.declared]).toEqual([8, 16, undefined]);
  });

  it('gives each hunk line its patch line and its pre/post-image line numbers', () => {
    const set = readPatch(seedText, 'p');
    const h3 = set.commits[0]!.files[0]!.hunks[2]!;
    const check = h3.lines.find((l) => l.text.startsWith('\tif (rt->rt_peer_genid != rt_peer_genid())'))!;
    expect(check).toMatchObject({ kind: '+', patchLine: 77, newLine: 1783 });
    const removed = h3.lines.find((l) => l.kind === '-')!;
    expect(removed).toMatchObject({ patchLine: 72, oldLine: 1770, text: '\tif (rt_is_expired((struct rtable *)dst))' });
  });

  it('rebuilds pre-image and post-image fragments from the hunks alone', () => {
    const set = readPatch(seedText, 'p');
    const images = hunkImages(set.commits[0]!.files[0]!);
    expect(images).toHaveLength(3);
    const [, h2, h3] = images;
    expect(h2!.pre.start).toBe(1316);
    expect(h2!.post.lines).toContain('\t\trt->rt_peer_genid = rt_peer_genid();');
    expect(h2!.pre.lines).not.toContain('\telse');
    expect(h3!.pre.lineNumbers).toEqual([1767, 1768, 1769, 1770, 1771, 1772, 1773]);
    expect(h3!.post.lineNumbers[0]).toBe(1776);
    expect(h3!.post.lineNumbers).toHaveLength(15);
    expect(h3!.post.text).toContain('\t\t\trt_bind_peer(rt, 0);\n');
    expect(h3!.post.changed.filter(Boolean)).toHaveLength(9);
    expect(h3!.pre.patchLines[3]).toBe(72);
  });

  it('is refused by readPatch only through PeerpropError (never another error)', () => {
    for (const cut of [10, 41, 45, 70]) {
      const text = seedText.split('\n').slice(0, cut).join('\n');
      try {
        readPatch(text, 'cut.patch');
      } catch (e) {
        expect(e).toBeInstanceOf(PeerpropError);
      }
    }
  });
});
