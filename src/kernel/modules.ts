import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** tun.ko[.xz|.zst|.gz] under a modules dir: the usual place first, then a bounded search. */
export async function findTunModule(modulesDir: string): Promise<string | undefined> {
  const names = ['tun.ko', 'tun.ko.xz', 'tun.ko.zst', 'tun.ko.gz'];
  for (const sub of ['kernel/drivers/net', 'drivers/net', '.']) {
    for (const n of names) {
      const p = path.join(modulesDir, sub, n);
      if (await isFile(p)) return p;
    }
  }
  return searchFile(modulesDir, new Set(names), 6);
}

async function searchFile(dir: string, names: Set<string>, depth: number): Promise<string | undefined> {
  if (depth < 0) return undefined;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.isFile() && names.has(e.name)) return path.join(dir, e.name);
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) {
      const r = await searchFile(path.join(dir, e.name), names, depth - 1);
      if (r) return r;
    }
  }
  return undefined;
}

/** lib/modules/<release> (or usr/lib/modules/<release>) under an unpacked package root. */
export async function findModulesDir(root: string, release: string): Promise<string | undefined> {
  for (const p of [path.join(root, 'lib/modules', release), path.join(root, 'usr/lib/modules', release)]) {
    if (await isDir(p)) return p;
  }
  return undefined;
}
