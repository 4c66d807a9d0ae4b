import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyToFile, applyToTree, readPatch, readPatchFile, resolveInTree, PatchApplyError, appliedLineOf, allFilePatches } from '../../src/patch/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { healedSeed, preSeedTree, SEED, seedPath, seedText, seedTree } from './fixtures.ts';

const tiny = (path: string, extra = '') =>
  `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -1,2 +1,3 @@\n int a;\n+int b;\n int c;\n${extra}`;

/** Every file under dir (relative), to prove that nothing was written. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(dir.length + 1))
    .sort();
}

async function refused(p: Promise<unknown>): Promise<PeerpropError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PeerpropError);
    expect((e as PeerpropError).exitCode).toBe(2);
    return e as PeerpropError;
  }
  throw new Error('not refused');
}

describe('the seed on the pre-seed fixture tree (kernel-fixtures/trees/pre-seed)', () => {
  it('applies all three hunks in memory at their offsets, giving the seed tree, writing nothing', async () => {
    const before = readFileSync(join(preSeedTree, 'net/ipv4/route.c'), 'utf8');
    const set = await readPatchFile(seedPath);
    const [a, ...rest] = await applyToTree(set, preSeedTree);
    expect(rest).toEqual([]);
    expect(a!.path).toBe('net/ipv4/route.c');
    expect(a!.hunks.map((h) => h.index)).toEqual([1, 2, 3]);
    for (const h of a!.hunks) {
      expect(h.fuzz).toBe(0);
      expect(h.offset).toBe(h.appliedLine - h.expectedLine);
      // The fixture is smaller than route.c of 2011: every hunk lands at a (reported) offset.
      expect(h.offset).toBeLessThan(0);
    }
    // The context around each hunk is really there at the reported line.
    const pre = a!.preImage.split('\n');
    expect(pre[a!.hunks[0]!.appliedLine - 1 + 3]).toBe('void rt_bind_peer(struct rtable *rt, int create)');
    expect(pre[a!.hunks[2]!.appliedLine - 1 + 1]).toBe('static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)');
    expect(a!.postImage).toBe(readFileSync(join(seedTree, 'net/ipv4/route.c'), 'utf8'));
    expect(readFileSync(join(preSeedTree, 'net/ipv4/route.c'), 'utf8')).toBe(before);
    // Every hunk line maps to the line of the post-image (or pre-image for '-') that holds its text.
    const post = a!.postImage.split('\n');
    for (const h of allFilePatches(set)[0]!.hunks) {
      for (const l of h.lines) {
        const at = appliedLineOf(a!, h, l)!;
        expect((at.side === 'post' ? post : pre)[at.line - 1]).toBe(l.text);
      }
    }
  });

  it('applies with --file route.c to the single file', async () => {
    const a = await applyToFile(readPatch(seedText, 'seed'), join(preSeedTree, 'net/ipv4/route.c'));
    expect(a.hunks).toHaveLength(3);
    expect(a.postImage).toBe(readFileSync(join(seedTree, 'net/ipv4/route.c'), 'utf8'));
  });

  it('fails on the post-seed tree (already applied) naming hunk 1 and its first mismatching line', async () => {
    const e = await refused(applyToTree(readPatch(seedText, 'seed.patch'), seedTree));
    expect(e).toBeInstanceOf(PatchApplyError);
    expect((e as PatchApplyError).hunk).toBe(1);
    expect(e.oneLine()).toMatch(/^seed\.patch:\d+:1: hunk 1 of net\/ipv4\/route\.c \(@@ -1308,6 \+1308,13 @@ at line 45\) does not apply: patch line \d+ expects /);
  });
});

function hasGnuPatch(): boolean {
  try {
    return execFileSync('patch', ['--version'], { encoding: 'utf8' }).includes('GNU patch');
  } catch {
    return false;
  }
}

describe.runIf(hasGnuPatch())('agreement with GNU patch', () => {
  it.each([
    ['the seed as given', seedText],
    ['the healed seed', healedSeed],
  ])('%s: same hunks, same offsets, same post-image lines as `patch --dry-run`', async (_name, text) => {
    const out = execFileSync('patch', ['-p1', '--dry-run', '--force'], { cwd: preSeedTree, input: text, encoding: 'utf8' });
    const gnu = [...out.matchAll(/^Hunk #(\d+) succeeded at (\d+)(?: with fuzz \d+)? \(offset (-?\d+) lines?\)/gm)].map((m) => [
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
    ]);
    const [a] = await applyToTree(readPatch(text, 'p'), preSeedTree);
    expect(a!.hunks.map((h) => [h.index, h.appliedNewLine, h.offset])).toEqual(gnu);
    // GNU patch needs fuzz 2 for the damaged hunk 3; the repaired hunk applies exactly.
    expect(a!.hunks.every((h) => h.fuzz === 0)).toBe(true);
  });
});

describe.runIf(!!process.env.PEERPROP_TREE)('the seed on a real tree (PEERPROP_TREE)', () => {
  it('applies all hunks, or refuses with the first mismatching line when the tree is not of that era', async () => {
    const tree = process.env.PEERPROP_TREE!;
    const route = join(tree, 'net/ipv4/route.c');
    const set = readPatch(seedText, 'seed.patch');
    const era = existsSync(route) && readFileSync(route, 'utf8').includes('void rt_bind_peer(struct rtable *rt, int create)');
    if (era) {
      const [a] = await applyToTree(set, tree);
      expect(a!.hunks).toHaveLength(3);
    } else {
      const e = await refused(applyToTree(set, tree));
      expect(e.location?.line).toBeGreaterThan(0);
    }
  });
});

describe('path safety', () => {
  let dir: string;
  let tree: string;
  let outside: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peerprop-tree-'));
    tree = join(dir, 'tree');
    outside = join(dir, 'outside');
    mkdirSync(join(tree, 'net'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(tree, 'net/a.c'), 'int a;\nint c;\n');
    writeFileSync(join(outside, 'victim.c'), 'int a;\nint c;\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const untouched = () => {
    expect(readFileSync(join(outside, 'victim.c'), 'utf8')).toBe('int a;\nint c;\n');
    expect(readFileSync(join(tree, 'net/a.c'), 'utf8')).toBe('int a;\nint c;\n');
    expect(listing(dir).filter((f) => f.includes('peerprop'))).toEqual([]);
  };

  it('refuses ../ components at the diff header line', async () => {
    const e = await refused(applyToTree(readPatch(tiny('../outside/victim.c'), 'evil.patch'), tree, { write: true }));
    expect(e.oneLine()).toBe(`evil.patch:1:1: refusing path "../outside/victim.c": '..' would leave the tree`);
    untouched();
  });

  it('refuses ../ hidden inside a path', async () => {
    await refused(applyToTree(readPatch(tiny('net/../../outside/victim.c'), 'p'), tree, { write: true }));
    untouched();
  });

  it('refuses absolute paths', async () => {
    const text = `--- ${join(outside, 'victim.c')}\n+++ ${join(outside, 'victim.c')}\n@@ -1,2 +1,3 @@\n int a;\n+int b;\n int c;\n`;
    const e = await refused(applyToTree(readPatch(text, 'p'), tree, { write: true }));
    expect(e.message).toMatch(/^refusing absolute path/);
    untouched();
  });

  it('refuses a symlinked directory that leads out of the tree', async () => {
    symlinkSync(outside, join(tree, 'net/out'));
    const e = await refused(applyToTree(readPatch(tiny('net/out/victim.c'), 'p'), tree, { write: true }));
    expect(e.message).toContain('symlink net/out points outside the tree');
    untouched();
  });

  it('refuses writing through a symlinked file that leads out of the tree', async () => {
    symlinkSync(join(outside, 'victim.c'), join(tree, 'net/victim.c'));
    await refused(applyToTree(readPatch(tiny('net/victim.c'), 'p'), tree, { write: true }));
    untouched();
  });

  it('follows a symlink that stays inside the tree', async () => {
    symlinkSync(join(tree, 'net'), join(tree, 'alias'));
    expect(await resolveInTree(tree, 'alias/a.c')).toBe(join(tree, 'net/a.c'));
    const [a] = await applyToTree(readPatch(tiny('alias/a.c'), 'p'), tree);
    expect(a!.postImage).toBe('int a;\nint b;\nint c;\n');
  });

  it('names the patch line of a file missing from the tree', async () => {
    const text = tiny('net/a.c') + tiny('net/missing.c');
    const e = await refused(applyToTree(readPatch(text, 'two.patch'), tree, { write: true }));
    expect(e.oneLine()).toMatch(/^two\.patch:8:1: net\/missing\.c: no such file in tree .* \(diff at patch line 8\)$/);
    untouched(); // net/a.c would have applied: still nothing written
  });

  it('writes nothing when a later hunk fails, and everything (atomically) when all apply', async () => {
    writeFileSync(join(tree, 'net/b.c'), 'int x;\n');
    const bad = tiny('net/a.c') + tiny('net/b.c');
    await refused(applyToTree(readPatch(bad, 'p'), tree, { write: true }));
    untouched();
    writeFileSync(join(tree, 'net/b.c'), 'int a;\nint c;\n');
    const mode = statSync(join(tree, 'net/a.c')).mode;
    const applied = await applyToTree(readPatch(bad, 'p'), tree, { write: true });
    expect(applied).toHaveLength(2);
    expect(readFileSync(join(tree, 'net/a.c'), 'utf8')).toBe('int a;\nint b;\nint c;\n');
    expect(readFileSync(join(tree, 'net/b.c'), 'utf8')).toBe('int a;\nint b;\nint c;\n');
    expect(statSync(join(tree, 'net/a.c')).mode).toBe(mode);
    expect(listing(tree)).toEqual(['net', 'net/a.c', 'net/b.c']);
  });

  it('creates, deletes and renames files inside the tree when writing', async () => {
    const text =
      'diff --git a/net/new.c b/net/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/net/new.c\n@@ -0,0 +1 @@\n+int n;\n' +
      'diff --git a/net/a.c b/net/a.c\ndeleted file mode 100644\n--- a/net/a.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-int a;\n-int c;\n';
    await applyToTree(readPatch(text, 'p'), tree, { write: true });
    expect(listing(tree)).toEqual(['net', 'net/new.c']);
    expect(readFileSync(join(tree, 'net/new.c'), 'utf8')).toBe('int n;\n');
    await refused(applyToTree(readPatch(text.split('diff --git a/net/a.c')[0]!, 'p'), tree));
  });

  it('renames with a change, in memory and when writing', async () => {
    const text =
      'diff --git a/net/a.c b/net/c.c\nsimilarity index 70%\nrename from net/a.c\nrename to net/c.c\n--- a/net/a.c\n+++ b/net/c.c\n@@ -1,2 +1,3 @@\n int a;\n+int b;\n int c;\n';
    const [a] = await applyToTree(readPatch(text, 'p'), tree);
    expect([a!.oldPath, a!.path, a!.postImage]).toEqual(['net/a.c', 'net/c.c', 'int a;\nint b;\nint c;\n']);
    expect(listing(tree)).toEqual(['net', 'net/a.c']);
    await applyToTree(readPatch(text, 'p'), tree, { write: true });
    expect(listing(tree)).toEqual(['net', 'net/c.c']);
  });

  it('writes with --file only when asked', async () => {
    const set = readPatch(healedSeed, 'seed');
    const copy = join(dir, 'route.c');
    cpSync(join(preSeedTree, 'net/ipv4/route.c'), copy);
    const a = await applyToFile(set, copy);
    expect(readFileSync(copy, 'utf8')).toBe(a.preImage);
    await applyToFile(set, copy, { write: true });
    expect(readFileSync(copy, 'utf8')).toBe(a.postImage);
    expect(listing(dir).filter((f) => f.includes('peerprop'))).toEqual([]);
  });

  it('a tree that does not exist is bad input', async () => {
    const e = await refused(applyToTree(readPatch(tiny('net/a.c'), 'p'), join(dir, 'nope')));
    expect(e.message).toMatch(/^tree .* does not exist$/);
  });

  it('a message without a diff cannot be applied', async () => {
    const msg = seedText.split('\n').slice(0, SEED.signOff).join('\n');
    const e = await refused(applyToTree(readPatch(msg, 'msg'), tree));
    expect(e.location?.line).toBe(SEED.signOff);
  });
});
