import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { badInput, envMissing } from '../core/errors.ts';
import { log as coreLog } from '../core/log.ts';
import { defaultCacheDir, pathKernelDir } from './cache.ts';
import { readBzImageHeader, releaseFromBanner, versionFromBanner } from './bzimage.ts';
import { downloadAndUnpack, findAnyCachedDebian, findCachedDebian, resolveDebianPackage, type UnpackedDebianKernel } from './debian.ts';
import { findModulesDir, findTunModule, isFile } from './modules.ts';
import { findCompanions, materializeVmlinux } from './dir.ts';
import type { BtfSource, KernelInfo, KernelSpec, ResolveKernelOptions } from './types.ts';

/** The Debian kernels `--kernel` knows by name, and the metapackage each one follows. */
export const DEBIAN_KERNELS: Record<string, { metapackage: string; what: string }> = {
  debian: { metapackage: 'linux-image-cloud-amd64', what: 'Debian 12 cloud kernel (6.1)' },
  'debian-6.12': { metapackage: 'linux-image-6.12-cloud-amd64', what: 'Debian 12 cloud kernel 6.12' },
  'debian-rt': { metapackage: 'linux-image-rt-amd64', what: 'Debian 12 PREEMPT_RT kernel (6.1)' },
};

/**
 * Finds (or fetches) a kernel. Named Debian kernels come from the cache when this exact
 * package version is already unpacked there, else apt-get download + dpkg-deb -x.
 * A path is a user's bzImage/vmlinuz, read in place (never modified).
 * Errors: badInput (exit 2) for a path that is not a kernel image; envMissing (exit 3) for
 * missing apt/dpkg/network/package.
 */
export async function resolveKernel(spec: KernelSpec, opts: ResolveKernelOptions = {}): Promise<KernelInfo> {
  const cacheRoot = opts.cacheDir ?? defaultCacheDir();
  const log = opts.log ?? ((s: string) => coreLog.info(s));
  const named = DEBIAN_KERNELS[spec];
  if (named) return resolveDebian(spec, named.metapackage, cacheRoot, opts, log);
  return resolvePath(spec, cacheRoot, opts);
}

async function resolveDebian(
  spec: string,
  metapackage: string,
  cacheRoot: string,
  opts: ResolveKernelOptions,
  log: (s: string) => void,
): Promise<KernelInfo> {
  let unpacked: UnpackedDebianKernel | undefined = opts.preferCache ? await findAnyCachedDebian(cacheRoot, metapackage) : undefined;
  if (unpacked) return kernelInfoFromUnpacked(spec, unpacked, log);
  const pkg = opts.offline ? { error: 'offline' } : await resolveDebianPackage(metapackage, cacheRoot);
  if ('error' in pkg) {
    // No apt (or lists not updated): a previously unpacked copy still does.
    unpacked = await findAnyCachedDebian(cacheRoot, metapackage);
    if (!unpacked) throw envMissing(`cannot get ${metapackage}: ${pkg.error}; no cached copy in ${path.join(cacheRoot, 'kernels')}`);
    log(`${pkg.error}; using cached ${unpacked.pkg.name} ${unpacked.pkg.version}`);
  } else {
    unpacked = (await findCachedDebian(cacheRoot, pkg)) ?? (await downloadAndUnpack(cacheRoot, pkg, log));
  }
  return kernelInfoFromUnpacked(spec, unpacked, log);
}

async function kernelInfoFromUnpacked(spec: string, unpacked: UnpackedDebianKernel, log: (s: string) => void): Promise<KernelInfo> {
  const hdr = await readBzImageHeader(unpacked.vmlinuz);
  if (!hdr) throw envMissing(`${unpacked.vmlinuz}: not a bzImage (damaged cache? delete ${unpacked.root})`);
  const banner = hdr.versionString ?? unpacked.release;
  const modulesDir = await findModulesDir(unpacked.root, unpacked.release);
  const config = path.join(unpacked.root, 'boot', `config-${unpacked.release}`);
  const info: KernelInfo = {
    spec,
    origin: 'debian',
    package: unpacked.pkg,
    release: unpacked.release,
    banner,
    version: versionFromBanner(banner),
    vmlinuz: unpacked.vmlinuz,
    root: unpacked.root,
    modulesDir,
    tunModule: modulesDir ? await findTunModule(modulesDir) : undefined,
    config: (await isFile(config)) ? config : undefined,
    btf: { kind: 'bzimage', image: unpacked.vmlinuz },
    workDir: unpacked.root,
  };
  if (!unpacked.cached && unpacked.downloadMs !== undefined) info.fetched = { downloadMs: unpacked.downloadMs, unpackMs: unpacked.unpackMs ?? 0 };
  log(`kernel: ${describeKernel(info)}${unpacked.cached ? ' (cached)' : ''}`);
  return info;
}

async function resolvePath(spec: string, cacheRoot: string, opts: ResolveKernelOptions): Promise<KernelInfo> {
  // A directory, or an image with its vmlinux / System.map / config beside it (dir.ts).
  const comp = await findCompanions(spec);
  const image = comp.image;
  const st = await stat(image);
  if (!st.isFile()) throw badInput(`not a file: expected a bzImage/vmlinuz`, { file: spec });
  const hdr = await readBzImageHeader(image);
  if (!hdr) throw badInput(`not a bzImage (no x86 boot setup header); pass the bzImage, not vmlinux`, { file: image === path.resolve(spec) ? spec : image });
  const banner = hdr.versionString ?? 'unknown';
  const release = releaseFromBanner(banner);

  // Where a self-built tree or an installed kernel keeps its companions.
  const tree = path.basename(image) === 'bzImage' && path.basename(path.dirname(path.dirname(image))) === 'x86'
    ? path.resolve(image, '../../../..')
    : undefined;
  const bootDir = path.dirname(image);
  let modulesDir = opts.modulesDir ? path.resolve(opts.modulesDir) : undefined;
  if (!modulesDir && tree) modulesDir = tree;
  if (!modulesDir && (await isFile(path.join('/lib/modules', release, 'modules.dep')))) modulesDir = path.join('/lib/modules', release);
  let config: string | undefined;
  for (const c of [tree && path.join(tree, '.config'), path.join(bootDir, `config-${release}`), comp.config]) {
    if (c && (await isFile(c))) {
      config = c;
      break;
    }
  }
  let btf: BtfSource = { kind: 'bzimage', image };
  let vmlinux = opts.vmlinux ? path.resolve(opts.vmlinux) : tree && (await isFile(path.join(tree, 'vmlinux'))) ? path.join(tree, 'vmlinux') : undefined;
  if (opts.vmlinux && !(await isFile(vmlinux!))) throw badInput('no such vmlinux', { file: opts.vmlinux });
  if (!vmlinux && comp.vmlinux) {
    vmlinux = comp.vmlinuxCompressed ? await materializeVmlinux(comp.vmlinux, comp.vmlinuxCompressed, cacheRoot) : comp.vmlinux;
  }
  if (vmlinux) btf = (await isRawBtf(vmlinux)) ? { kind: 'raw', path: vmlinux } : { kind: 'vmlinux', path: vmlinux };
  const systemMap = tree && (await isFile(path.join(tree, 'System.map'))) ? path.join(tree, 'System.map') : comp.systemMap;
  return {
    spec,
    origin: 'path',
    release,
    banner,
    version: versionFromBanner(banner),
    vmlinuz: image,
    modulesDir,
    tunModule: modulesDir ? await findTunModule(modulesDir) : undefined,
    config,
    btf,
    ...(systemMap ? { systemMap } : {}),
    cacheRoot,
    workDir: pathKernelDir(cacheRoot, image, st.size, st.mtimeMs),
  };
}

/** A raw BTF blob (a copy of a guest's /sys/kernel/btf/vmlinux) rather than an ELF. */
async function isRawBtf(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b.readUInt16LE(0) === 0xeb9f;
  } finally {
    await fh.close();
  }
}

/** One line saying which kernel this is: what `conform` prints before booting. */
export function describeKernel(k: KernelInfo): string {
  if (k.package) return `Debian ${k.package.name} ${k.package.version} (${k.release})`;
  return `${k.vmlinuz} (${k.release})`;
}
