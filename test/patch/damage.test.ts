import { describe, expect, it } from 'vitest';
import { readPatch, readPatchFile, applyToTree, allFilePatches, applyFilePatch } from '../../src/patch/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healedSeed, preSeedTree, SEED, seedText } from './fixtures.ts';

/** The error readPatch throws, or a test failure when it does not throw. */
function refusal(text: string, source = 'bad.patch'): PeerpropError {
  try {
    readPatch(text, source);
  } catch (e) {
    expect(e).toBeInstanceOf(PeerpropError);
    const pe = e as PeerpropError;
    expect(pe.exitCode).toBe(2);
    expect(pe.oneLine()).not.toContain('\n');
    return pe;
  }
  throw new Error('readPatch accepted the input');
}

const codes = (text: string) => readPatch(text, 'p').diagnostics.map((d) => [d.severity, d.code, d.line]);
const seedLines = seedText.split('\n');
const cutAfter = (n: number, newline = true) => seedLines.slice(0, n).join('\n') + (newline ? '\n' : '');
const withLine = (n: number, text: string) => seedLines.map((l, i) => (i === n - 1 ? text : l)).join('\n');
const withoutLine = (n: number) => seedLines.filter((_, i) => i !== n - 1).join('\n');

describe('CRLF line endings', () => {
  it('are normalised and reported once, at the first line; the seed damage is still found', () => {
    const set = readPatch(seedText.replace(/\n/g, '\r\n'), 'crlf.patch');
    expect(set.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([
      ['repaired', 'crlf', 1],
      ['repaired', 'missing-trailing-context', SEED.last],
    ]);
    expect(set.diagnostics[0]!.message).toContain('83 of 84 lines');
    const hunks = allFilePatches(set)[0]!.hunks;
    expect(hunks.map((h) => h.lines.length)).toEqual([13, 8, 16]);
    expect(hunks.flatMap((h) => h.lines).some((l) => l.text.includes('\r'))).toBe(false);
  });

  it('mixed endings are reported with the first CRLF line', () => {
    const text = seedLines.map((l, i) => (i >= 59 && i < 62 ? l + '\r' : l)).join('\n');
    const d = readPatch(text, 'p').diagnostics[0]!;
    expect(d).toMatchObject({ code: 'crlf', line: 60 });
    expect(d.message).toContain('3 of 84 lines, mixed');
  });
});

describe('trailing-whitespace trimming', () => {
  it('reads empty lines inside hunks as blank context and reports them once', () => {
    const trimmed = seedLines.map((l) => l.trimEnd()).join('\n');
    const set = readPatch(trimmed, 'trimmed.patch');
    expect(set.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([
      ['repaired', 'blank-context-trimmed', 48],
      ['repaired', 'missing-trailing-context', SEED.last],
    ]);
    expect(set.diagnostics[0]!.message).toMatch(/^4 empty line\(s\) inside hunks \(first at line 48\)/);
    const h1 = allFilePatches(set)[0]!.hunks[0]!;
    expect(h1.lines[2]).toMatchObject({ kind: ' ', text: '', trimmedBlank: true, patchLine: 48 });
  });

  it('a trimmed patch matches context whose trailing whitespace was trimmed too (unique match only)', async () => {
    // Kernel-style C with a trailing space on a context line; the patch went through a trimming mailer.
    const pre = 'static int a;\n\nint frob(void)\n{\n\tint x; \n\n\treturn 0;\n}\n';
    const text = '--- a/f.c\n+++ b/f.c\n@@ -3,6 +3,7 @@\n int frob(void)\n {\n \tint x;\n\n+\tx = 1;\n \treturn 0;\n }\n';
    const f = allFilePatches(readPatch(text, 'p'))[0]!;
    const a = applyFilePatch(f, pre);
    expect(a.postImage).toBe('static int a;\n\nint frob(void)\n{\n\tint x; \n\n\tx = 1;\n\treturn 0;\n}\n');
    expect(a.hunks[0]!.whitespaceInsensitive).toBe(true);
    expect(() => applyFilePatch(f, pre, { whitespace: 'never' })).toThrow(/expects "\\tint x;" but f\.c:5 has "\\tint x; "/);
  });

  it('recovers the healed seed trimmed: its last blank context line became an empty line', () => {
    const set = readPatch(healedSeed.split('\n').map((l) => l.trimEnd()).join('\n'), 'p');
    expect(set.diagnostics.map((d) => [d.code, d.line])).toEqual([['blank-context-trimmed', 48]]);
    expect(set.diagnostics[0]!.message).toMatch(/^5 empty line/);
    expect(allFilePatches(set)[0]!.hunks[2]!.oldLines).toBe(8);
  });
});

describe('truncated files: recovered only when the lost part is trailing context', () => {
  it.each([
    // [cut after line, final newline, expected repair line]
    [83, false, 83],
    [83, true, 83],
    [84, true, 84],
    // Lines 83-84 and the blank after: 3 context lines, all the trailing context (-U3); the change is complete.
    [82, true, 82],
  ])('cut after line %i (newline %s): repaired at line %i', (n, nl, line) => {
    const set = readPatch(cutAfter(n, nl), 'cut.patch');
    expect(set.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['repaired', 'missing-trailing-context', line]]);
    expect(set.diagnostics[0]!.message.includes('no final newline')).toBe(!nl);
  });

  it.each([81, 80, 77, 76, 73, 71, 69, 63, 61])('cut after line %i (changed lines lost): refused at that line', (n) => {
    const e = refusal(cutAfter(n));
    expect(e.location).toMatchObject({ file: 'bad.patch', line: n, column: 1 });
    expect(e.message).toMatch(/^patch ends inside hunk \d of net\/ipv4\/route\.c/);
    expect(e.message).toContain('cannot repair');
  });

  it('cut right after a hunk header: refused at the header', () => {
    const e = refusal(cutAfter(SEED.hunk3));
    expect(e.location?.line).toBe(SEED.hunk3);
  });

  it('cut in the middle of a line: the partial last line is flagged and fails when applied', async () => {
    const text = seedText.slice(0, seedText.lastIndexOf('\n') + 2); // line 84 is " " instead of " }"
    const set = readPatch(text, 'cut.patch');
    expect(set.diagnostics.map((d) => d.code)).toEqual(['missing-trailing-context']);
    await expect(applyToTree(set, preSeedTree)).rejects.toThrow(/hunk 3 of net\/ipv4\/route\.c .* patch line 84 expects "" but net\/ipv4\/route\.c:\d+ has "}"/);
  });

  it('cut inside a '+' line: refused (the counts show a change was lost)', () => {
    const e = refusal(seedText.slice(0, seedText.indexOf('rt_bind_peer(rt, 0);')));
    expect(e.location?.line).toBe(79);
  });

  it('cut after the file header: refused, naming the header without hunks', () => {
    expect(refusal(cutAfter(44)).location?.line).toBe(41);
    expect(refusal(cutAfter(44)).message).toMatch(/diff header for net\/ipv4\/route\.c at line 41 has no hunks: the patch ends/);
    expect(refusal(cutAfter(41)).message).toMatch(/^diff header at line 41 has no '---'\/'\+\+\+' lines and no hunks/);
  });

  it('a complete last hunk without final newline: a warning that the file may have been cut', () => {
    const text = healedSeed.replace(/\n \n$/, '\n \n+/* added */');
    const set = readPatch(text.replace('@@ -1767,8 +1776,16 @@', '@@ -1767,8 +1776,17 @@'), 'p');
    expect(set.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['warning', 'no-final-newline', 86]]);
  });
});

describe('damage in the middle of a file is refused, never guessed', () => {
  it("a missing '+' line: hunk 2 ends early at the next hunk header", () => {
    const e = refusal(withoutLine(64));
    expect(e.location?.line).toBe(67);
    expect(e.message).toContain('hunk 2 of net/ipv4/route.c (@@ -1316,6 +1323,8 @@ at line 59) ends early at "@@ -1767,8 +1776,16 @@"');
    expect(e.message).toContain('6 of 6 pre-image and 7 of 8 post-image lines');
  });

  it('a missing context line: the same number missing on both sides, still refused', () => {
    const e = refusal(withoutLine(66));
    expect(e.message).toMatch(/1 line\(s\) per side are missing inside the patch/);
  });

  it("an extra '+' line: the hunk overflows, named at the first line too many", () => {
    const lines = [...seedLines];
    lines.splice(50, 0, '+/* extra */');
    const e = refusal(lines.join('\n'));
    expect(e.location?.line).toBe(59);
    expect(e.message).toMatch(/^hunk 1 of net\/ipv4\/route\.c .* already has all its post-image lines/);
  });

  it('a hunk line after a complete hunk (header undercounts) is refused', () => {
    const e = refusal(withLine(SEED.hunk1, '@@ -1308,5 +1308,12 @@'));
    expect(e.location?.line).toBe(58);
    expect(e.message).toBe(
      'line 58 looks like part of hunk 1 of net/ipv4/route.c (@@ at line 45) but that hunk is complete per its header: the counts are too small or lines were added',
    );
  });

  it('a hunk whose file header lines were lost is refused at the hunk', () => {
    const e = refusal(seedLines.filter((_, i) => i < 40 || i > 43).join('\n'));
    expect(e.location?.line).toBe(41);
    expect(e.message).toContain('has no file header');
  });

  it("a '---' line without '+++' is refused", () => {
    const e = refusal(withLine(44, '+++b/net/ipv4/route.c').replace('diff --git', 'xdiff --git'));
    expect(e.location?.line).toBeGreaterThanOrEqual(43);
  });

  it('overlapping hunks are refused', () => {
    const e = refusal(withLine(SEED.hunk2, '@@ -1310,6 +1317,8 @@'));
    expect(e.message).toMatch(/^hunk 2 of net\/ipv4\/route\.c starts at pre-image line 1310, before hunk 1 ends/);
  });

  it('a post-image start that does not follow from earlier hunks is only a warning', () => {
    expect(codes(withLine(SEED.hunk2, '@@ -1316,6 +1330,8 @@'))).toContainEqual(['warning', 'hunk-start-mismatch', SEED.hunk2]);
  });

  it('a whole hunk lost between two others shows in the next header: warned at that header', () => {
    const set = readPatch(seedLines.filter((_, i) => i + 1 < SEED.hunk2 || i + 1 >= SEED.hunk3).join('\n'), 'p');
    const d = set.diagnostics.find((x) => x.code === 'hunk-start-mismatch')!;
    expect(d.line).toBe(SEED.hunk3 - (SEED.hunk3 - SEED.hunk2));
    expect(d.message).toContain('post-image start 1776 does not follow from the earlier hunks (expected 1774): a hunk before it was lost');
  });
});

describe('bad hunk headers are refused at file:line:col', () => {
  it.each([
    ['@@ -13x8,6 +1308,13 @@', 7, "expected ' +'"],
    ['@@ -1308,6 +1308,13', 20, "expected ' @@'"],
    ['@@ -,6 +1308,13 @@', 5, 'pre-image start'],
    ['@@ 1308,6 +1308,13 @@', 1, "expected '@@ -'"],
    ['@@ -1308,6 +1308,x13 @@', 18, 'post-image line count'],
  ])('%s → column %i', (header, column, what) => {
    const e = refusal(withLine(SEED.hunk1, header));
    expect(e.location).toMatchObject({ line: SEED.hunk1, column });
    expect(e.message).toContain(what);
    expect(e.oneLine()).toMatch(new RegExp(`^bad\\.patch:45:${column}: bad hunk header`));
  });

  it.each([
    ['@@ -0,6 +1308,13 @@', 'pre-image start 0 needs count 0'],
    ['@@ -1308,99999999999 +1308,13 @@', 'out of range'],
    ['@@ -1308,0 +1308,0 @@', 'no lines'],
  ])('%s → %s', (header, what) => {
    expect(refusal(withLine(SEED.hunk1, header)).message).toContain(what);
  });
});

describe('garbage, binary and empty input', () => {
  it('a byte-order mark is dropped (it would hide the first header)', () => {
    const set = readPatch('\ufeff' + seedText, 'bom.patch');
    expect(set.diagnostics.map((d) => [d.code, d.line])).toEqual([['bom', 1], ['missing-trailing-context', SEED.last]]);
    expect(set.commits[0]!.subject).toMatch(/^inet: Create/);
  });

  it('an empty file', () => {
    expect(refusal('').oneLine()).toBe('bad.patch:1:1: empty patch: the file has no content');
    expect(refusal('\n\n  \n').message).toContain('only blank lines');
  });

  it('text that is neither a diff nor a commit message', () => {
    const e = refusal('hello world\n');
    expect(e.location).toMatchObject({ line: 1 });
    expect(e.message).toMatch(/^not a patch/);
  });

  it('binary input (NUL byte) names line and column', async () => {
    const e = refusal('diff --git a/x b/x\nab\0c\n');
    expect(e.location).toMatchObject({ line: 2, column: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-bin-'));
    try {
      writeFileSync(join(dir, 'x.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x03]));
      await expect(readPatchFile(join(dir, 'x.gz'))).rejects.toThrow(/binary input/);
      await expect(readPatchFile(join(dir, 'missing.patch'))).rejects.toThrow(/cannot read patch: no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('control characters without NUL and without a diff', () => {
    const e = refusal('\x01\x02\x03garbage\x04\x05\n\x06\x07');
    expect(e.message).toMatch(/^binary or non-text input/);
    expect(e.location).toMatchObject({ line: 1, column: 1 });
  });

  it('Latin-1 bytes are read (with a warning) and kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-l1-'));
    try {
      const bytes = Buffer.concat([Buffer.from('ipv4: x\n\nSigned-off-by: J'), Buffer.from([0xf6]), Buffer.from('rg <j@x>\n'), Buffer.from(healedSeed.slice(healedSeed.indexOf('diff --git')))]);
      writeFileSync(join(dir, 'l1.patch'), bytes);
      const set = await readPatchFile(join(dir, 'l1.patch'));
      expect(set.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['not-utf8', 3, 17]]);
      expect(set.commits[0]!.signedOffBy).toEqual(['Jörg <j@x>']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('garbage between two file diffs is skipped with a warning; trailing text too', () => {
    const { diff } = { diff: healedSeed.slice(healedSeed.indexOf('diff --git')) };
    const other = 'diff --git a/net/ipv4/inetpeer.c b/net/ipv4/inetpeer.c\n--- a/net/ipv4/inetpeer.c\n+++ b/net/ipv4/inetpeer.c\n@@ -1,2 +1,3 @@\n a\n+b\n c\n';
    const set = readPatch(`${diff}\nsome words a mailer added\n\n${other}\nThanks!\n`, 'p');
    expect(set.diagnostics.map((d) => d.code)).toEqual(['garbage', 'trailing-text']);
    expect(allFilePatches(set).map((f) => f.newPath)).toEqual(['net/ipv4/route.c', 'net/ipv4/inetpeer.c']);
  });

  it('binary diffs are listed and never applied', () => {
    const set = readPatch('diff --git a/fw.bin b/fw.bin\nindex 1234567..89abcde 100644\nBinary files a/fw.bin and b/fw.bin differ\n', 'p');
    const f = allFilePatches(set)[0]!;
    expect(f).toMatchObject({ newPath: 'fw.bin', binary: true, hunks: [] });
    expect(() => applyFilePatch(f, 'x', { source: 'p' })).toThrow(/binary diff of fw\.bin cannot be applied/);
  });

  it('a "\\ No newline" marker that follows no hunk line is ignored with a warning', () => {
    const set = readPatch('--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n', 'p');
    expect(set.diagnostics.map((d) => [d.code, d.line])).toEqual([['stray-no-newline-marker', 4]]);
  });

  it('mode changes and renames without hunks are valid', () => {
    const set = readPatch('diff --git a/a.sh b/b.sh\nold mode 100644\nnew mode 100755\nsimilarity index 100%\nrename from a.sh\nrename to b.sh\n', 'p');
    expect(allFilePatches(set)[0]).toMatchObject({ oldPath: 'a.sh', newPath: 'b.sh', renamed: true, oldMode: '100644', newMode: '100755' });
  });
});

describe('tab-expanded context lines', () => {
  const expand = (line: string) => {
    let out = '';
    for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
    return out;
  };
  const damaged = seedLines.map((l, i) => (i + 1 === 62 || i + 1 === 76 ? expand(l) : l)).join('\n');

  it('are flagged with a warning at the first such line', () => {
    const set = readPatch(damaged, 'ws.patch');
    expect(set.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([
      ['warning', 'tab-expanded', 62],
      ['repaired', 'missing-trailing-context', SEED.last],
    ]);
    const lines = allFilePatches(set)[0]!.hunks.flatMap((h) => h.lines).filter((l) => l.whitespaceSuspect);
    expect(lines.map((l) => l.patchLine)).toEqual([62, 76]);
  });

  it('match ignoring whitespace when that match is unique, keeping the tree text; refused with whitespace: never', async () => {
    const set = readPatch(damaged, 'ws.patch');
    const [a] = await applyToTree(set, preSeedTree);
    expect(a!.hunks.map((h) => h.whitespaceInsensitive ?? false)).toEqual([false, true, true]);
    expect(a!.diagnostics?.map((d) => [d.code, d.line])).toEqual([
      ['whitespace-insensitive', SEED.hunk2],
      ['whitespace-insensitive', SEED.hunk3],
    ]);
    const [clean] = await applyToTree(readPatch(seedText, 'p'), preSeedTree);
    expect(a!.postImage).toBe(clean!.postImage);
    await expect(applyToTree(set, preSeedTree, { whitespace: 'never' })).rejects.toThrow(/hunk 2 of net\/ipv4\/route\.c .* patch line 62 expects/);
  });
});
