/**
 * Applying a patch set to a tree (or one file) safely: in memory unless asked to write, paths
 * never leave the tree (absolute paths, `..`, symlinks out are refused), and a write is
 * all-or-nothing per run (every post-image computed first, then temp files, then renames).
 */
import { lstat, mkdir, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { badInput, type SourceLocation } from '../core/errors.ts';
import { applyFilePatch, type ApplyOptions } from './apply.ts';
import { allFilePatches, requireDiff } from './read.ts';
import type { AppliedFile, FilePatch, PatchSet } from './types.ts';

export interface TreeApplyOptions extends Omit<ApplyOptions, 'path' | 'source'> {
  /** Write the post-images into the tree (atomically). Default false: in memory only. */
  write?: boolean;
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The real directory of a tree, or a bad-input error. */
export async function realTree(treeDir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(treeDir);
  } catch {
    throw badInput(`tree ${treeDir} does not exist`, { file: treeDir });
  }
  if (!(await stat(real)).isDirectory()) throw badInput(`tree ${treeDir} is not a directory`, { file: treeDir });
  return real;
}

/**
 * Resolves a path named by a patch inside treeDir, following symlinks of existing components.
 * Refuses absolute paths, `..` components and anything that resolves outside the tree.
 * `at` locates the refusal (the patch file and the line naming the path).
 */
export async function resolveInTree(treeDir: string, patchPath: string, at?: SourceLocation): Promise<string> {
  const loc = at ?? { file: treeDir };
  if (patchPath === '' || patchPath.includes('\0')) throw badInput(`invalid path ${JSON.stringify(patchPath)} in patch`, loc);
  if (isAbsolute(patchPath) || /^[A-Za-z]:[\\/]/.test(patchPath)) {
    throw badInput(`refusing absolute path ${JSON.stringify(patchPath)}: patch paths must stay inside the tree`, loc);
  }
  const parts = patchPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw badInput(`refusing path ${JSON.stringify(patchPath)}: '..' would leave the tree`, loc);
  }
  const root = await realTree(treeDir);
  let cur = root;
  for (let k = 0; k < parts.length; k++) {
    const next = join(cur, parts[k]!);
    const st = await lstatOrUndefined(next);
    if (!st) return join(next, ...parts.slice(k + 1)); // the rest does not exist yet: nothing to follow
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(next);
      } catch {
        throw badInput(`refusing path ${JSON.stringify(patchPath)}: ${parts.slice(0, k + 1).join('/')} is a dangling symlink`, loc);
      }
      if (!inside(root, target)) {
        throw badInput(
          `refusing path ${JSON.stringify(patchPath)}: symlink ${parts.slice(0, k + 1).join('/')} points outside the tree (${target})`,
          loc,
        );
      }
      cur = target;
    } else cur = next;
  }
  return cur;
}

interface Decoded {
  text: string;
  encoding: 'utf8' | 'latin1';
  mode?: number;
}

/** File bytes → text; Latin-1 when not UTF-8, so that writing back keeps every byte. */
async function readText(path: string): Promise<Decoded> {
  const bytes = await readFile(path);
  const mode = (await stat(path)).mode & 0o7777;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8', mode };
  } catch {
    return { text: bytes.toString('latin1'), encoding: 'latin1', mode };
  }
}

interface Pending {
  /** Real path in the tree. */
  path: string;
  /** New content, or undefined for deletion. */
  content?: string;
  encoding: 'utf8' | 'latin1';
  mode?: number;
}

/** Writes every pending file atomically: all temp files first, then renames; on failure nothing is replaced. */
async function commitWrites(pending: Pending[]): Promise<void> {
  const temps: { temp: string; target: string }[] = [];
  try {
    for (const p of pending) {
      if (p.content === undefined) continue;
      await mkdir(dirname(p.path), { recursive: true });
      const temp = join(dirname(p.path), `.${basename(p.path)}.peerprop-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(temp, Buffer.from(p.content, p.encoding), { flag: 'wx', mode: p.mode ?? 0o644 });
      temps.push({ temp, target: p.path });
    }
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t.temp).catch(() => undefined)));
    throw e;
  }
  for (const t of temps) await rename(t.temp, t.target);
  for (const p of pending) if (p.content === undefined) await unlink(p.path).catch(() => undefined);
}

interface TreeState {
  files: Map<string, Pending & { exists: boolean }>;
}

async function current(state: TreeState, real: string): Promise<(Decoded & { exists: boolean }) | undefined> {
  const known = state.files.get(real);
  if (known) return known.exists ? { text: known.content ?? '', encoding: known.encoding, mode: known.mode, exists: true } : undefined;
  const st = await lstatOrUndefined(real);
  if (!st) return undefined;
  if (!st.isFile()) return { text: '', encoding: 'utf8', exists: true, mode: -1 };
  return { ...(await readText(real)), exists: true };
}

/**
 * Applies every file of the set to the tree at treeDir, in order (a series applies commit after
 * commit). In memory unless opts.write; returns one AppliedFile per FilePatch (the last one for
 * a path holds its final post-image).
 */
export async function applyToTree(set: PatchSet, treeDir: string, opts: TreeApplyOptions = {}): Promise<AppliedFile[]> {
  requireDiff(set);
  await realTree(treeDir);
  const state: TreeState = { files: new Map() };
  const results: AppliedFile[] = [];
  for (const file of allFilePatches(set)) {
    const at = { file: set.source, line: file.headerLine, column: 1 };
    const creating = file.oldPath === '/dev/null';
    const deleting = file.newPath === '/dev/null';
    const readPath = creating ? undefined : await resolveInTree(treeDir, file.oldPath, at);
    const writePath = deleting ? undefined : await resolveInTree(treeDir, file.newPath, at);
    let pre: Decoded = { text: '', encoding: 'utf8' };
    if (readPath) {
      const cur = await current(state, readPath);
      if (!cur) throw badInput(`${file.oldPath}: no such file in tree ${treeDir} (diff at patch line ${file.headerLine})`, at);
      if (cur.mode === -1) throw badInput(`${file.oldPath}: not a regular file in tree ${treeDir} (diff at patch line ${file.headerLine})`, at);
      pre = cur;
    }
    if (writePath && writePath !== readPath && (await current(state, writePath))) {
      throw badInput(`${file.newPath}: already exists in tree ${treeDir}, the patch creates it (diff at patch line ${file.headerLine})`, at);
    }
    const applied = applyFilePatch(file, pre.text, { ...opts, source: set.source, path: deleting ? file.oldPath : file.newPath });
    results.push(applied);
    if (readPath && (deleting || (file.renamed && readPath !== writePath))) {
      state.files.set(readPath, { path: readPath, encoding: pre.encoding, exists: false });
    }
    if (writePath) {
      state.files.set(writePath, { path: writePath, content: applied.postImage, encoding: pre.encoding, mode: pre.mode, exists: true });
    }
  }
  if (opts.write) await commitWrites([...state.files.values()]);
  return results;
}

/** The FilePatch(es) of the set that a `--file` path stands for. */
function filePatchesFor(set: PatchSet, filePath: string): FilePatch[] {
  const files = allFilePatches(set).filter((f) => !f.binary);
  const paths = [...new Set(files.map((f) => (f.newPath === '/dev/null' ? f.oldPath : f.newPath)))];
  if (paths.length === 1) return files;
  const abs = resolve(filePath);
  const byName = paths.filter((p) => basename(p) === basename(filePath));
  const bySuffix = byName.filter((p) => abs.endsWith(sep + p.split('/').join(sep)));
  const pick = bySuffix.length === 1 ? bySuffix : byName.length === 1 ? byName : [];
  if (pick.length !== 1) {
    throw badInput(
      `the patch touches ${paths.length} files (${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}); cannot tell which one ${filePath} is`,
      { file: set.source, line: files[0]?.headerLine ?? 1 },
    );
  }
  return files.filter((f) => (f.newPath === '/dev/null' ? f.oldPath : f.newPath) === pick[0]);
}

/**
 * Applies the set's FilePatch for one file (`--file route.c`) to filePath. When a series
 * changes that file several times the diffs apply in order; the result has the original
 * pre-image, the final post-image and every hunk (told apart by headerLine).
 */
export async function applyToFile(set: PatchSet, filePath: string, opts: TreeApplyOptions = {}): Promise<AppliedFile> {
  requireDiff(set);
  const patches = filePatchesFor(set, filePath);
  let pre: Decoded;
  try {
    const st = await stat(filePath);
    if (!st.isFile()) throw badInput(`${filePath} is not a regular file`, { file: filePath });
    pre = await readText(filePath);
  } catch (e) {
    if (e instanceof Error && e.name === 'PeerpropError') throw e;
    throw badInput(`cannot read ${filePath}: no such file`, { file: filePath });
  }
  let text = pre.text;
  const all: AppliedFile[] = [];
  for (const fp of patches) {
    const a = applyFilePatch(fp, text, { ...opts, source: set.source, path: filePath });
    all.push(a);
    text = a.postImage;
  }
  const result: AppliedFile = {
    path: filePath,
    preImage: pre.text,
    postImage: text,
    hunks: all.flatMap((a) => a.hunks),
  };
  const diagnostics = all.flatMap((a) => a.diagnostics ?? []);
  if (diagnostics.length > 0) result.diagnostics = diagnostics;
  if (opts.write) await commitWrites([{ path: await realpath(filePath), content: text, encoding: pre.encoding, mode: pre.mode }]);
  return result;
}
