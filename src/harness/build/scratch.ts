/**
 * The scratch directory a build runs in: one fixed path under the cache, so that ccache (which
 * hashes the working directory of -g compilations) hits across builds of different trees and
 * revisions. One build at a time holds it; a lock left by a dead process is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, PeerpropError } from '../../core/errors.ts';

export interface Scratch {
  dir: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireScratch(cacheRoot: string, log: (s: string) => void, waitMs = 60 * 60 * 1000): Promise<Scratch> {
  const root = join(cacheRoot, 'scratch');
  await mkdir(root, { recursive: true });
  const lock = join(root, 'lock');
  const t0 = Date.now();
  let told = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => 'NaN'));
      if (Number.isFinite(pid) && pid > 0 && !alive(pid)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - t0 > waitMs) throw new PeerpropError(`the build scratch directory ${root} stayed locked by process ${pid} (another build is running; wait for it, or set PEERPROP_CACHE to build elsewhere)`, ExitCode.EnvMissing);
      if (!told) log(`waiting for another kernel build (process ${pid}) to finish with ${root}`);
      told = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const dir = join(root, 'linux');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return {
    dir,
    async release() {
      await rm(dir, { recursive: true, force: true });
      await rm(lock, { recursive: true, force: true });
    },
  };
}
