import { describe, expect, it } from 'vitest';
import { formatPatch, structuredPatch, FILE_HEADERS_ONLY } from 'diff';
import { applyFilePatch, PatchApplyError, readPatch, allFilePatches, type FilePatch } from '../../src/patch/index.ts';

/** Kernel-style C written for these tests (not kernel source). */
const FROB = `// peerprop test fixture: kernel-style C written for these tests
/*
 * frob.c: a small kernel-style file for the patch tests.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>

static atomic_t frob_gen = ATOMIC_INIT(0);

struct frob {
	struct frob *next;
	u32 gen;
	int refs;
};

static u32 frob_current_gen(void)
{
	return atomic_read(&frob_gen);
}

void frob_bump(void)
{
	atomic_inc(&frob_gen);
}

int frob_check(struct frob *f)
{
	if (!f)
		return -EINVAL;
	if (f->gen != frob_current_gen())
		return 1;
	return 0;
}

void frob_init(struct frob *f)
{
	f->next = NULL;
	f->gen = frob_current_gen();
	f->refs = 1;
}

void frob_put(struct frob *f)
{
	if (--f->refs == 0)
		kfree(f);
}

void frob_get(struct frob *f)
{
	f->refs++;
}
`;

const FROB_NEW = FROB.replace(
  '\tif (f->gen != frob_current_gen())\n\t\treturn 1;\n',
  '\tif (f->gen != frob_current_gen()) {\n\t\tf->gen = frob_current_gen();\n\t\treturn 1;\n\t}\n',
).replace('\tif (--f->refs == 0)\n\t\tkfree(f);\n', '\tif (refcount_dec_and_test(&f->ref))\n\t\tkfree(f);\n');

function diffOf(oldText: string, newText: string, context = 3, path = 'net/core/frob.c'): string {
  return formatPatch(structuredPatch(`a/${path}`, `b/${path}`, oldText, newText, undefined, undefined, { context }), FILE_HEADERS_ONLY);
}

function filePatch(oldText: string, newText: string, context = 3): FilePatch {
  const set = readPatch(diffOf(oldText, newText, context), 'frob.patch');
  expect(set.diagnostics).toEqual([]);
  return allFilePatches(set)[0]!;
}

function applyError(fn: () => unknown): PatchApplyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PatchApplyError);
    return e as PatchApplyError;
  }
  throw new Error('applied');
}

describe('applyFilePatch', () => {
  const fp = filePatch(FROB, FROB_NEW);

  it('applies at the expected lines with offset 0', () => {
    const a = applyFilePatch(fp, FROB, { source: 'frob.patch' });
    expect(a.postImage).toBe(FROB_NEW);
    expect(a.path).toBe('net/core/frob.c');
    expect(fp.hunks).toHaveLength(2);
    expect(a.hunks.map((h) => [h.index, h.offset, h.fuzz])).toEqual([
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(a.hunks[0]!.appliedLine).toBe(fp.hunks[0]!.oldStart);
    expect(a.hunks[1]!.appliedNewLine).toBe(fp.hunks[1]!.newStart);
  });

  it('finds hunks at an offset, like GNU patch, and reports it', () => {
    const extra = '#include <linux/slab.h>\n#include <linux/errno.h>\n#include <linux/types.h>\n#include <linux/refcount.h>\n#include <linux/bug.h>\n';
    const pre = FROB.replace('#include <linux/atomic.h>\n', '#include <linux/atomic.h>\n' + extra);
    const a = applyFilePatch(fp, pre);
    expect(a.hunks.map((h) => h.offset)).toEqual([5, 5]);
    expect(a.hunks[0]!.appliedLine).toBe(fp.hunks[0]!.oldStart + 5);
    expect(a.postImage).toBe(FROB_NEW.replace('#include <linux/atomic.h>\n', '#include <linux/atomic.h>\n' + extra));
  });

  it('finds hunks at a negative offset, carrying the offset from hunk to hunk', () => {
    const pre = FROB.replace('#include <linux/kernel.h>\n#include <linux/atomic.h>\n\n', '');
    const between = pre.replace('void frob_init(struct frob *f)', '/* frob_init: one reference, current generation. */\nvoid frob_init(struct frob *f)');
    const a = applyFilePatch(fp, between);
    expect(a.hunks.map((h) => h.offset)).toEqual([-3, -2]);
    expect(a.postImage).toContain('\tif (refcount_dec_and_test(&f->ref))\n');
  });

  it('takes the nearest of two equal places', () => {
    const ctx = '\tif (--f->refs == 0)\n\t\tkfree(f);\n';
    const hunkOnly = readPatch(diffOf(`a\nb\nc\nd\n${ctx}e\nf\ng\n`, `a\nb\nc\nd\n\tif (x)\n\t\tkfree(f);\ne\nf\ng\n`, 1), 'p');
    const f = allFilePatches(hunkOnly)[0]!;
    const pre = `x\n${'d\n' + ctx + 'e\n'}${'pad\n'.repeat(10)}${'d\n' + ctx + 'e\n'}`;
    const a = applyFilePatch(f, pre);
    expect(a.hunks[0]!.appliedLine).toBe(2);
    expect(a.hunks[0]!.offset).toBe(-2);
  });

  it('fails with the hunk number, its patch line and the first mismatching line; fuzz 2 recovers', () => {
    const pre = FROB.replace('void frob_put(struct frob *f)', 'void frob_release(struct frob *f)');
    const e = applyError(() => applyFilePatch(fp, pre, { source: 'frob.patch' }));
    const bad = fp.hunks[1]!.lines.find((l) => l.text === 'void frob_put(struct frob *f)')!;
    expect(e.hunk).toBe(2);
    expect(e.location).toMatchObject({ file: 'frob.patch', line: bad.patchLine });
    expect(e.expected).toBe('void frob_put(struct frob *f)');
    expect(e.found).toBe('void frob_release(struct frob *f)');
    expect(e.preImageLine).toBe(bad.oldLine);
    expect(e.message).toBe(
      `hunk 2 of net/core/frob.c (@@ -${fp.hunks[1]!.oldStart},${fp.hunks[1]!.oldLines} +${fp.hunks[1]!.newStart},${fp.hunks[1]!.newLines} @@ at line ${fp.hunks[1]!.headerLine}) does not apply: ` +
        `patch line ${bad.patchLine} expects "void frob_put(struct frob *f)" but net/core/frob.c:${bad.oldLine} has "void frob_release(struct frob *f)" (6 of 7 lines equal)`,
    );
    expect(e.oneLine()).toMatch(new RegExp(`^frob\\.patch:${bad.patchLine}:1: hunk 2 of net/core/frob\\.c`));
    // The mismatch is the second of three leading context lines: fuzz 1 is not enough, fuzz 2 is.
    expect(() => applyFilePatch(fp, pre, { fuzz: 1 })).toThrow(PatchApplyError);
    const a = applyFilePatch(fp, pre, { fuzz: 2 });
    expect(a.hunks.map((h) => h.fuzz)).toEqual([0, 2]);
    expect(a.diagnostics?.map((d) => [d.code, d.line])).toEqual([['fuzz', fp.hunks[1]!.headerLine]]);
    expect(a.postImage).toContain('void frob_release(struct frob *f)\n{\n\tif (refcount_dec_and_test(&f->ref))');
  });

  it('names the end of file when the context runs past it', () => {
    const e = applyError(() => applyFilePatch(fp, FROB.slice(0, FROB.indexOf('void frob_put') + 'void frob_put(struct frob *f)\n{\n'.length)));
    expect(e.hunk).toBe(2);
    expect(e.message).toMatch(/patch line \d+ expects "\\tif \(--f->refs == 0\)" but net\/core\/frob\.c ends at line 43 \(3 of 7 lines equal\)$/);
  });

  it('keeps CRLF line endings of the pre-image', () => {
    const a = applyFilePatch(fp, FROB.replace(/\n/g, '\r\n'));
    expect(a.postImage).toBe(FROB_NEW.replace(/\n/g, '\r\n'));
  });

  it('keeps a missing final newline of the pre-image when the hunks do not touch the end', () => {
    const a = applyFilePatch(fp, FROB.slice(0, -1));
    expect(a.postImage).toBe(FROB_NEW.slice(0, -1));
  });

  it('honours "\\ No newline at end of file" on either side', () => {
    const add = allFilePatches(readPatch(diffOf('a\nb', 'a\nb\nc\n'), 'p'))[0]!;
    expect(add.hunks[0]!.lines.find((l) => l.kind === '-')!.noNewlineAtEnd).toBe(true);
    expect(applyFilePatch(add, 'a\nb').postImage).toBe('a\nb\nc\n');
    const drop = allFilePatches(readPatch(diffOf('a\nb\n', 'a\nc'), 'p'))[0]!;
    expect(applyFilePatch(drop, 'a\nb\n').postImage).toBe('a\nc');
  });

  it('creates and deletes files', () => {
    const create = allFilePatches(readPatch('diff --git a/x.c b/x.c\nnew file mode 100644\n--- /dev/null\n+++ b/x.c\n@@ -0,0 +1,2 @@\n+int x;\n+int y;\n', 'p'))[0]!;
    expect(create.oldPath).toBe('/dev/null');
    expect(applyFilePatch(create, '').postImage).toBe('int x;\nint y;\n');
    const del = allFilePatches(readPatch('diff --git a/x.c b/x.c\ndeleted file mode 100644\n--- a/x.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-int x;\n-int y;\n', 'p'))[0]!;
    const a = applyFilePatch(del, 'int x;\nint y;\n');
    expect([a.path, a.postImage]).toEqual(['x.c', '']);
  });

  it('inserts with a zero-length pre-image range (diff -U0)', () => {
    const u0 = filePatch(FROB, FROB_NEW, 0);
    expect(u0.hunks.some((h) => h.oldLines === 0 || h.newLines === 0 || h.lines.every((l) => l.kind !== ' '))).toBe(true);
    expect(applyFilePatch(u0, FROB).postImage).toBe(FROB_NEW);
  });

  it('ignores whitespace only when asked (or for flagged lines) and only when the match is unique', () => {
    const spaced = FROB.replace('\tif (--f->refs == 0)', '        if (--f->refs == 0)');
    expect(() => applyFilePatch(fp, spaced)).toThrow(PatchApplyError);
    const a = applyFilePatch(fp, spaced, { whitespace: 'always' });
    expect(a.hunks[1]!.whitespaceInsensitive).toBe(true);
    // The tree's own context line is kept; only the changed lines come from the patch.
    expect(a.postImage).toContain('void frob_put(struct frob *f)\n{\n\tif (refcount_dec_and_test(&f->ref))\n\t\tkfree(f);\n}');
    // Two places that match ignoring whitespace: ambiguous, refused.
    const twice = spaced + '\nvoid frob_put(struct frob *f)\n{\n    if (--f->refs == 0)\n\t\tkfree(f);\n}\n\n';
    expect(() => applyFilePatch(fp, twice, { whitespace: 'always' })).toThrow(PatchApplyError);
  });

  it('refuses hunks that would apply out of order (before the previous hunk)', () => {
    // Swap the two functions: hunk 2's place is now before hunk 1's.
    const putBlock = FROB.slice(FROB.indexOf('void frob_put'), FROB.indexOf('void frob_get'));
    const checkBlock = FROB.slice(FROB.indexOf('int frob_check'), FROB.indexOf('void frob_put'));
    const swapped = FROB.replace(checkBlock + putBlock, putBlock + checkBlock);
    const e = applyError(() => applyFilePatch(fp, swapped));
    expect(e.hunk).toBe(2);
  });
});
