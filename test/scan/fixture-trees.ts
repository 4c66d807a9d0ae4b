/**
 * The fixture trees as file maps, and the seed / mutant trees built from pre-seed by applying
 * patches with peerprop's own patch reader (so the histories in the tests are what a developer
 * applying those patches would commit).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { allFilePatches, applyFilePatch, readPatchFile } from '../../src/patch/index.ts';
import { repoRoot } from './helpers.ts';

export const FIXTURES = join(repoRoot, 'kernel-fixtures');
export const TREES = join(FIXTURES, 'trees');
export const MUTANTS = join(FIXTURES, 'mutants');

export type Files = Record<string, string>;

function walk(dir: string, root: string, out: Files): Files {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else if (e.isFile()) out[relative(root, p)] = readFileSync(p, 'utf8');
  }
  return out;
}

/** Every file of a fixture tree, by tree-relative path. */
export function treeFiles(stage: string): Files {
  return walk(join(TREES, stage), join(TREES, stage), {});
}

/** Applies every file patch of `patch` to `files` (in memory), returning the new map. */
export async function applyPatch(files: Files, patch: string): Promise<Files> {
  const set = await readPatchFile(patch);
  const out = { ...files };
  for (const fp of allFilePatches(set)) {
    const path = fp.newPath === '/dev/null' ? fp.oldPath : fp.newPath;
    const pre = out[path] ?? '';
    out[path] = applyFilePatch(fp, pre, { source: patch, path }).postImage;
  }
  return out;
}

/** pre-seed + the route.h half + the seed patch itself. */
export async function seedFiles(): Promise<Files> {
  const withHeader = await applyPatch(treeFiles('pre-seed'), join(TREES, 'seed-route-h.patch'));
  return applyPatch(withHeader, join(FIXTURES, 'route-genid.patch'));
}

/** The mutant patches of the seed (kernel-fixtures/mutants/*.patch), sorted. */
export function mutantPatches(): string[] {
  if (!existsSync(MUTANTS)) return [];
  return readdirSync(MUTANTS)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => join(MUTANTS, f));
}

/** pre-seed + route.h half + a mutant of the seed patch. */
export async function mutantFiles(patch: string): Promise<Files> {
  const withHeader = await applyPatch(treeFiles('pre-seed'), join(TREES, 'seed-route-h.patch'));
  return applyPatch(withHeader, patch);
}

/** A step's file map: `next` replaces everything `prev` had (files absent from next are deleted). */
export function replaceTree(prev: Files, next: Files): Record<string, string | null> {
  const out: Record<string, string | null> = { ...next };
  for (const p of Object.keys(prev)) if (!(p in next)) out[p] = null;
  return out;
}
