/**
 * The workload built against musl for old kernels: Debian 12's glibc 2.36 is configured for
 * kernels 3.2 and later (older glibc static binaries stopped with "FATAL: kernel too old"; this
 * one assumes the system calls of its floor instead), while musl supports 2.6.39 and runs on the
 * patch commit's 2.6.38-rc2. Debian's musl-gcc has no kernel headers on its include path: the
 * UAPI headers (linux/, asm/, asm-generic/, libc-independent) are linked into a directory of
 * their own in the cache and passed with -isystem.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { $, which } from 'zx';
import { envMissing, ExitCode, PeerpropError } from '../core/errors.ts';
import type { Era } from '../model/types.ts';
import { harnessCacheDir } from '../core/cache-dir.ts';
import { WORKLOAD_DIR, type WorkloadBinary } from './workload-sources.ts';

export type WorkloadLibc = 'glibc' | 'musl';

/** The oldest kernel the host's static glibc starts on (Debian 12's glibc 2.36 is configured for 3.2). */
const GLIBC_FLOOR: [number, number, number] = [3, 2, 0];

/** musl for every routing-cache-era kernel and anything under glibc's floor; glibc otherwise. */
export function workloadLibcFor(era: Era, version: [number, number, number]): WorkloadLibc {
  if (era !== 'fnhe') return 'musl';
  const below = version[0] !== 0 && (version[0] - GLIBC_FLOOR[0] || version[1] - GLIBC_FLOOR[1] || version[2] - GLIBC_FLOOR[2]) < 0;
  return below ? 'musl' : 'glibc';
}

const UAPI: [string, string[]][] = [
  ['linux', ['/usr/include/linux']],
  ['asm', ['/usr/include/x86_64-linux-gnu/asm', '/usr/include/asm']],
  ['asm-generic', ['/usr/include/asm-generic']],
];

async function uapiDir(cacheDir: string): Promise<string> {
  const dir = join(cacheDir, 'workload', 'musl-uapi');
  await mkdir(dir, { recursive: true });
  for (const [name, candidates] of UAPI) {
    const target = candidates.find((c) => existsSync(c));
    if (!target) throw envMissing(`no kernel headers for the musl build (${candidates[0]}): apt-get install linux-libc-dev`);
    const link = join(dir, name);
    if (!existsSync(link)) await symlink(target, link).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
  }
  return dir;
}

export async function buildMuslWorkload(cacheDirOpt?: string): Promise<WorkloadBinary> {
  const cacheDir = harnessCacheDir(cacheDirOpt);
  const cc = await which('musl-gcc', { nothrow: true });
  if (!cc) throw envMissing('musl-gcc not found: the workload for kernels older than glibc\'s floor is built with musl (apt-get install musl-tools)');
  const files = (await readdir(WORKLOAD_DIR)).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  // musl-gcc is a wrapper script: the compiler behind it and musl's libc.a are what change.
  const h = createHash('sha256').update('musl\0');
  for (const p of [cc, await which('gcc', { nothrow: true }), '/usr/lib/musl/lib/libc.a']) {
    if (!p || !existsSync(p)) continue;
    const r = await realpath(p);
    const st = await stat(r);
    h.update(`${r}\0${st.size}\0${st.mtimeMs}\0`);
  }
  for (const f of files) h.update(f + '\0').update(await readFile(join(WORKLOAD_DIR, f)));
  const hash = h.digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'workload', `musl-${hash}`);
  const out = join(dir, 'tunwl');
  if (existsSync(out)) return { path: out, hash, cached: true };
  const inc = await uapiDir(cacheDir);
  await mkdir(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(WORKLOAD_DIR, f));
  const r = await $({ quiet: true, nothrow: true })`${cc} -static -O2 -Wall -s -isystem ${inc} -o ${tmp} ${sources} -lpthread`;
  if (r.exitCode !== 0) {
    await rm(tmp, { force: true });
    const first = (r.stderr || r.stdout).split('\n').find((l) => /error/.test(l)) ?? r.stderr.split('\n')[0];
    throw new PeerpropError(`building the workload with musl failed: ${first}`, ExitCode.EnvMissing);
  }
  await rename(tmp, out);
  return { path: out, hash, cached: false };
}
