import os from 'node:os';
import path from 'node:path';

/**
 * Cache root for downloaded kernels and derived facts, outside the repository:
 * $PEERPROP_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/peerprop.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PEERPROP_CACHE) return path.resolve(env.PEERPROP_CACHE);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'peerprop');
}

/** <cache>/kernels/<pkg>_<version>/ for a Debian package. */
export function debianKernelDir(cacheRoot: string, pkg: string, version: string): string {
  return path.join(cacheRoot, 'kernels', `${pkg}_${version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
}

/** Derived files for a user's image are keyed by its size and mtime so a rebuilt image is re-read. */
export function pathKernelDir(cacheRoot: string, image: string, size: number, mtimeMs: number): string {
  const base = path.basename(image).replace(/[^A-Za-z0-9._+-]/g, '_');
  const key = `${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}`;
  return path.join(cacheRoot, 'kernels', 'path', `${base}-${key}`);
}
