/** Shared inputs of the review tests: the real seed patch, fixture trees, mutated patches. */
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTwoFilesPatch } from 'diff';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const seedPatch = resolve(repoRoot, 'kernel-fixtures/route-genid.patch');
export const headerPatch = resolve(repoRoot, 'kernel-fixtures/trees/seed-route-h.patch');
export const trees = resolve(repoRoot, 'kernel-fixtures/trees');
export const tree = (name: string): string => resolve(trees, name);
export const routeC = (name: string): string => resolve(trees, name, 'net/ipv4/route.c');

export function tmp(prefix = 'peerprop-review-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of a fixture tree in a temporary directory (for --write). */
export function copyTree(name: string): string {
  const dir = join(tmp(), name);
  cpSync(tree(name), dir, { recursive: true });
  return dir;
}

/**
 * A git-style patch of net/ipv4/route.c from `before` to `after` (jsdiff output with
 * a commit subject in front), written to a temporary file; returns its path.
 */
export function writePatch(before: string, after: string, subject = 'test: mutate route.c'): string {
  const body = createTwoFilesPatch('a/net/ipv4/route.c', 'b/net/ipv4/route.c', before, after, undefined, undefined, { context: 3 });
  const text = `${subject}\n\nSigned-off-by: Test Author <test@example.org>\n\ndiff --git a/net/ipv4/route.c b/net/ipv4/route.c\n${body.split('\n').slice(1).join('\n')}`;
  const p = join(tmp(), 'mutation.patch');
  writeFileSync(p, text);
  return p;
}

/** The seed fixture's route.c with one replacement applied (asserting that it applied). */
export function mutateSeed(from: string, to: string, base = readFileSync(routeC('seed'), 'utf8')): string {
  if (!base.includes(from)) throw new Error(`mutation anchor not found: ${from}`);
  return base.replace(from, to);
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(source: string, needle: string): number {
  const i = source.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not found: ${needle}`);
  return i + 1;
}
