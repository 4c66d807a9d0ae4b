/**
 * Kernel acquisition: `debian` / `debian-6.12` / `debian-rt` (Debian cloud and PREEMPT_RT kernel packages, fetched with
 * apt-get download + dpkg-deb -x into a cache, never installed) or a user's bzImage path.
 *
 *   const k = await resolveKernel('debian');        // KernelInfo
 *   describeKernel(k)  // "Debian linux-image-6.1.0-56-cloud-amd64 6.1.192-2 (6.1.0-56-cloud-amd64)"
 */
export type { KernelSpec, KernelInfo, BtfSource, DebianPackage, ResolveKernelOptions } from './types.ts';
export { resolveKernel, describeKernel, DEBIAN_KERNELS } from './resolve.ts';
export { readBzImageHeader, type BzImageHeader } from './bzimage.ts';
export { defaultCacheDir } from './cache.ts';
export { findCompanions, materializeVmlinux, type KernelCompanions } from './dir.ts';
export { detectEra, kernelEra, parseSystemMap, readSystemMap, type EraDecision, type SymbolTable } from './era.ts';
