/**
 * `conform --tree DIR` / `conform --git REPO --rev REV`: build (or take from the cache) the kernel
 * of that source, then boot the kernel directory like `conform --kernel DIR`.
 */
import type { ConformOptions, ConformReport } from '../conform.ts';
import { log as coreLog } from '../../core/log.ts';
import { buildKernel } from './build.ts';
import { identifyKernelSource } from './identify.ts';
import { dirSource } from './source.ts';

export interface SourceConformOptions extends ConformOptions {
  git?: string;
  rev?: string;
  jobs?: number;
}

export async function conformFromSource(opts: SourceConformOptions): Promise<ConformReport> {
  const { runConform } = await import('../conform.ts');
  if (!opts.tree && !opts.git) return runConform(opts);
  // A modern directory keeps conform's own out-of-tree build (no copy, incremental make).
  if (opts.tree && (await identifyKernelSource(await dirSource(opts.tree))).recipe === 'modern') return runConform(opts);
  const built = await buildKernel({ tree: opts.tree, git: opts.git, rev: opts.rev, cacheDir: opts.cacheDir, jobs: opts.jobs, log: opts.log ?? ((s) => coreLog.info(s)) });
  const { git: _g, rev: _r, jobs: _j, tree: _t, ...rest } = opts;
  return runConform({ ...rest, kernel: built.dir, era: opts.era });
}
