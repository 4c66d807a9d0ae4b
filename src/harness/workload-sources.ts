/**
 * Where the in-VM workload's C sources live, and what a build of them yields (shared by the
 * glibc and the musl builds).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKLOAD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../workload');

export interface WorkloadBinary {
  path: string;
  /** Content hash of the sources and the compiler: the cache key. */
  hash: string;
  /** True when it came from the cache. */
  cached: boolean;
}
