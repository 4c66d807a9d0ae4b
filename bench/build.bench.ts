/**
 * Kernel builds from the seed-era history (opt-in: PEERPROP_SEED_GIT names a repository with
 * the 2.6.39 history). A cold build (empty cache and ccache: nothing reused), an incremental
 * one (a neighbouring revision: ccache serves the objects whose inputs did not change) and a
 * cached one (same tree: no build at all). Target: cold < 3 min on 2 cores.
 * Wall time depends on what else the machine runs: the CPU time of the build (its children)
 * and the load average are printed beside it.
 *
 *   PEERPROP_SEED_GIT=/path/to/linux-2.6.39.3 npm run bench -- build
 *   PEERPROP_BENCH_REVS=cold-rev,incremental-rev   (default 75f7f9542a71~5,75f7f9542a71)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernel, type BuiltKernel } from '../src/harness/build/index.ts';

/** CPU seconds used by this process's finished children (make, gcc, ...): /proc/self/stat cutime + cstime. */
function childCpuS(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

async function timed(what: string, fn: () => Promise<BuiltKernel>): Promise<void> {
  const load = loadavg()[0]!;
  const cpu0 = childCpuS();
  const t0 = performance.now();
  const k = await fn();
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(
    `  ${what}: ${wall.toFixed(1)} s wall, ${(childCpuS() - cpu0).toFixed(0)} s CPU in the build's processes` +
      `${k.ccache ? `, ccache ${k.ccache.hits} hits / ${k.ccache.misses} misses` : ''}${k.cached ? ' (cached: no build)' : ''}; ` +
      `load average ${load.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs\n`,
  );
}

export async function run(): Promise<void> {
  const repo = process.env.PEERPROP_SEED_GIT;
  if (!repo) {
    process.stdout.write('skipped: set PEERPROP_SEED_GIT to a git repository with the 2.6.39 history (e.g. a fetch of gpl-releases/linux-2.6.39.3)\n');
    return;
  }
  const [cold, inc] = (process.env.PEERPROP_BENCH_REVS ?? '75f7f9542a71~5,75f7f9542a71').split(',');
  const jobs = Number(process.env.PEERPROP_BENCH_JOBS ?? 2);
  const cacheDir = await mkdtemp(join(tmpdir(), 'peerprop-build-bench-'));
  try {
    process.stdout.write(`seed-era kernel builds from ${repo}, make -j${jobs}, fresh cache ${cacheDir}:\n`);
    await timed(`cold build of ${cold} (target < 180 s)`, () => buildKernel({ git: repo, rev: cold!, cacheDir, jobs }));
    await timed(`incremental build of ${inc} (ccache warm)`, () => buildKernel({ git: repo, rev: inc!, cacheDir, jobs }));
    await timed(`${inc} again (cache hit)`, () => buildKernel({ git: repo, rev: inc!, cacheDir, jobs }));
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
