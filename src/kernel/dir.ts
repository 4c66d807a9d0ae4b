/**
 * A kernel given as a directory (or as a bzImage with its companions beside it): bzImage or
 * vmlinuz, the matching vmlinux (plain, or vmlinux.xz as build servers ship it, decompressed
 * once into the cache), System.map and config. Self-built seed-era kernels come like this:
 * no BTF, no modules directory, DWARF in the vmlinux.
 *
 *   const c = await findCompanions('/k/linux-2.6.39.3');   // { image, vmlinux, systemMap, config }
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { badInput, envMissing } from '../core/errors.ts';
import { isFile } from './modules.ts';

export interface KernelCompanions {
  /** The bootable image. */
  image: string;
  /** A vmlinux ELF as given (may be compressed: see vmlinuxCompressed). */
  vmlinux?: string;
  /** The vmlinux is `.xz`/`.gz`/`.zst`: decompress it (materializeVmlinux) before reading. */
  vmlinuxCompressed?: 'xz' | 'gzip' | 'zstd';
  systemMap?: string;
  config?: string;
}

const IMAGE_NAMES = ['bzImage', 'vmlinuz', 'arch/x86/boot/bzImage'];
const VMLINUX_NAMES: [string, KernelCompanions['vmlinuxCompressed']][] = [
  ['vmlinux', undefined], ['vmlinux.xz', 'xz'], ['vmlinux.gz', 'gzip'], ['vmlinux.zst', 'zstd'],
];

/**
 * The image and its companions. `spec` is a directory holding a bzImage (or vmlinuz), or the
 * image itself; companions are looked up beside the image, then in the directory given.
 */
export async function findCompanions(spec: string): Promise<KernelCompanions> {
  const abs = path.resolve(spec);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(abs);
  } catch {
    throw badInput('no such kernel image or directory (expected debian, debian-6.12, debian-rt, a bzImage or a directory holding one)', { file: spec });
  }
  let image = abs;
  let dirs = [path.dirname(abs)];
  if (st.isDirectory()) {
    const found = await firstFile(IMAGE_NAMES.map((n) => path.join(abs, n)));
    if (!found) {
      const names = await readdir(abs).catch(() => [] as string[]);
      const vmlinuz = names.find((n) => /^vmlinuz-/.test(n));
      if (!vmlinuz) throw badInput('no bzImage or vmlinuz in this directory', { file: spec });
      image = path.join(abs, vmlinuz);
    } else image = found;
    dirs = [...new Set([path.dirname(image), abs])];
  }
  const out: KernelCompanions = { image };
  const release = path.basename(image).startsWith('vmlinuz-') ? path.basename(image).slice('vmlinuz-'.length) : undefined;
  for (const d of dirs) {
    if (!out.vmlinux) {
      for (const [n, c] of VMLINUX_NAMES) {
        const names = release ? [n.replace('vmlinux', `vmlinux-${release}`), n] : [n];
        const f = await firstFile(names.map((x) => path.join(d, x)));
        if (f) {
          out.vmlinux = f;
          out.vmlinuxCompressed = c;
          break;
        }
      }
    }
    out.systemMap ??= await firstFile([release && path.join(d, `System.map-${release}`), path.join(d, 'System.map')]);
    out.config ??= await firstFile([release && path.join(d, `config-${release}`), path.join(d, 'config'), path.join(d, '.config')]);
  }
  return out;
}

async function firstFile(candidates: (string | undefined)[]): Promise<string | undefined> {
  for (const c of candidates) if (c && (await isFile(c))) return c;
  return undefined;
}

/**
 * A plain vmlinux for a compressed one: decompressed once into <cache>/kernels/vmlinux/<hash>/,
 * keyed by the compressed file's content (never next to the user's file: it may be read-only).
 */
export async function materializeVmlinux(file: string, kind: NonNullable<KernelCompanions['vmlinuxCompressed']>, cacheRoot: string): Promise<string> {
  const hash = await fileHash(file);
  const dir = path.join(cacheRoot, 'kernels', 'vmlinux', hash);
  const out = path.join(dir, 'vmlinux');
  if (await isFile(out)) return out;
  await mkdir(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const tool = kind === 'xz' ? 'xz' : kind === 'gzip' ? 'gzip' : 'zstd';
  const r = await $({ quiet: true, nothrow: true })`${tool} -dc ${file} > ${tmp}`;
  if (r.exitCode !== 0) {
    await rm(tmp, { force: true });
    if (r.exitCode === 127) throw envMissing(`${tool} is needed to read ${file} (apt-get install ${tool === 'xz' ? 'xz-utils' : tool})`);
    throw badInput(`cannot decompress: ${r.stderr.trim().split('\n')[0] ?? `${tool} failed`}`, { file });
  }
  await rename(tmp, out);
  return out;
}

/** sha256 of a file's content, first 16 hex digits (streamed: vmlinux files are 40+ MB). */
export async function fileHash(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex').slice(0, 16);
}
