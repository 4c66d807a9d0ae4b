/** Shared inputs of the C-source tests: fixture trees and the optional real trees. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const treesDir = resolve(repoRoot, 'kernel-fixtures/trees');
export const TREES = ['pre-seed', 'seed', 'pmtu-redirect', 'fnhe'] as const;
export type TreeName = (typeof TREES)[number];

export function treeFile(tree: TreeName, rel = 'net/ipv4/route.c'): string {
  return resolve(treesDir, tree, rel);
}

export function readTree(tree: TreeName, rel = 'net/ipv4/route.c'): string {
  return readFileSync(treeFile(tree, rel), 'utf8');
}

/** 1-based line of the first line containing `needle` (throws when absent, so tests stay honest). */
export function lineOf(source: string, needle: string, from = 1): number {
  const lines = source.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`not found: ${needle}`);
}

/** Debian's linux-source-6.1 route.c (installed by scripts/setup.sh), when present. */
export const debianRouteC = '/usr/src/linux-source-6.1/net/ipv4/route.c';
export const hasDebianTree = existsSync(debianRouteC);

/** A user-provided kernel tree (PEERPROP_TREE=/path), when set and usable. */
export const userTree = process.env.PEERPROP_TREE;
export const userRouteC = userTree ? resolve(userTree, 'net/ipv4/route.c') : undefined;
export const hasUserTree = !!userRouteC && existsSync(userRouteC);
