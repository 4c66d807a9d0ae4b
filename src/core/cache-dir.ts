import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The harness's cache root: $PEERPROP_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/peerprop
 * (the same root the kernel acquisition uses). Sub-directories: workload/, initramfs/, builds/.
 */
export function harnessCacheDir(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.PEERPROP_CACHE) return process.env.PEERPROP_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'peerprop');
}
