/**
 * The shared seed-era kernels (bzImage, vmlinux.xz with DWARF, System.map, config), beside the
 * clone in ../shared/kernels: the patch commit alone (linux-6431cbc) and 2.6.39.3.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const SEED_KERNELS = path.resolve(repoRoot, '../shared/kernels');
export const PATCH_COMMIT = path.join(SEED_KERNELS, 'linux-6431cbc');
export const STABLE_2639 = path.join(SEED_KERNELS, 'linux-2.6.39.3');
export const haveSeedKernels = existsSync(path.join(PATCH_COMMIT, 'bzImage')) && existsSync(path.join(STABLE_2639, 'bzImage'));
