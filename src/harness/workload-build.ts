import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { $, which } from 'zx';
import { envMissing, PeerpropError, ExitCode } from '../core/errors.ts';
import { harnessCacheDir } from '../core/cache-dir.ts';
import { buildMuslWorkload, type WorkloadLibc } from './workload-musl.ts';

export { workloadLibcFor, type WorkloadLibc } from './workload-musl.ts';

/** The repository's workload/ directory (C sources of the in-VM TUN workload). */
import { WORKLOAD_DIR, type WorkloadBinary } from './workload-sources.ts';
export { WORKLOAD_DIR, type WorkloadBinary } from './workload-sources.ts';


/**
 * Builds workload/*.c with `gcc -static -O2 -s` once per content (sources + compiler version),
 * into <cache>/workload/<hash>/tunwl. A static binary: the guest has no libc.
 */
export async function buildWorkload(opts: { cacheDir?: string; cc?: string; libc?: WorkloadLibc } = {}): Promise<WorkloadBinary> {
  if (opts.libc === 'musl') return buildMuslWorkload(opts.cacheDir);
  const cc = opts.cc ?? process.env.CC ?? 'gcc';
  const files = (await readdir(WORKLOAD_DIR)).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  if (files.length === 0) throw envMissing(`no workload sources in ${WORKLOAD_DIR}`);
  // The compiler's identity without running it (a spawn per conform run costs): its resolved
  // path, size and mtime change with every upgrade.
  const ccPath = await which(cc, { nothrow: true });
  if (!ccPath) throw envMissing(`${cc} not found: the in-VM workload is built with gcc -static (apt-get install gcc libc6-dev)`);
  const ccReal = await realpath(ccPath);
  const ccStat = await stat(ccReal);
  const h = createHash('sha256');
  h.update(`${ccReal}\0${ccStat.size}\0${ccStat.mtimeMs}\0`);
  for (const f of files) {
    h.update(f + '\0');
    h.update(await readFile(join(WORKLOAD_DIR, f)));
  }
  const hash = h.digest('hex').slice(0, 16);
  const dir = join(harnessCacheDir(opts.cacheDir), 'workload', hash);
  const out = join(dir, 'tunwl');
  if (existsSync(out)) return { path: out, hash, cached: true };
  await mkdir(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(WORKLOAD_DIR, f));
  const r = await $({ quiet: true, nothrow: true })`${cc} -static -O2 -Wall -s -o ${tmp} ${sources}`;
  if (r.exitCode !== 0) {
    const first = (r.stderr || r.stdout).split('\n').find((l) => /error|cannot find/.test(l)) ?? r.stderr.split('\n')[0];
    if (/cannot find -lc|crt1\.o/.test(r.stderr)) throw envMissing(`gcc -static cannot link: install libc6-dev (${first})`);
    throw new PeerpropError(`building the workload failed: ${first}`, ExitCode.EnvMissing);
  }
  await rename(tmp, out); // atomic: concurrent runs never see half a binary
  return { path: out, hash, cached: false };
}
