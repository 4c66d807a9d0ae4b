import { mkdir, readdir, readFile, rename, rm, stat, writeFile, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { envMissing } from '../core/errors.ts';
import { readMemo } from '../core/files.ts';
import { debianKernelDir } from './cache.ts';
import type { DebianPackage } from './types.ts';

/** The marker written last into an unpacked kernel dir: its presence means the unpack completed. */
export const MARKER = 'peerprop-kernel.json';

export interface UnpackedDebianKernel {
  pkg: DebianPackage;
  root: string;
  /** boot/vmlinuz-<release> */
  vmlinuz: string;
  release: string;
  downloadMs?: number;
  unpackMs?: number;
  cached: boolean;
}

const q = $({ quiet: true, nothrow: true });

async function haveTool(name: string): Promise<boolean> {
  const r = await q`command -v ${name}`;
  return r.exitCode === 0;
}

/**
 * apt-cache's answer depends only on the package lists and apt's configuration: remember it
 * until one of them changes (apt-cache spends ~0.8 s of CPU parsing the lists on every call).
 */
async function aptStateKey(): Promise<string> {
  const paths = ['/var/lib/apt/lists', '/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/apt/preferences', '/etc/apt/preferences.d'];
  const parts = await Promise.all(paths.map((p) => stat(p).then((st) => `${p}:${st.mtimeMs}`, () => `${p}:-`)));
  return parts.join('|');
}

export async function resolveDebianPackage(metapackage: string, cacheRoot?: string): Promise<DebianPackage | { error: string }> {
  const memo = cacheRoot ? path.join(cacheRoot, 'kernels', 'apt-answers.json') : undefined;
  const key = await aptStateKey();
  if (memo) {
    const m = await readMemo<{ key: string; answers: Record<string, DebianPackage> }>(memo);
    const hit = m?.key === key && m.answers && typeof m.answers === 'object' ? m.answers[metapackage] : undefined;
    if (hit) return hit;
  }
  const r = await askApt(metapackage);
  if (memo && !('error' in r)) {
    const m = await readMemo<{ key: string; answers: Record<string, DebianPackage> }>(memo);
    const answers = m?.key === key && m.answers && typeof m.answers === 'object' ? { ...m.answers, [metapackage]: r } : { [metapackage]: r };
    await mkdir(path.dirname(memo), { recursive: true });
    const tmp = `${memo}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, answers }, null, 1) + '\n');
    await rename(tmp, memo);
  }
  return r;
}

/**
 * The real image package behind a metapackage and its candidate version (`apt-cache show`,
 * `apt-cache policy` if the dependency is not pinned). `{ error }` when apt knows nothing.
 */
async function askApt(metapackage: string): Promise<DebianPackage | { error: string }> {
  if (!(await haveTool('apt-cache'))) return { error: 'apt-cache not found (not a Debian system?)' };
  // One call: the candidate's stanza names the image package, normally pinned `(= version)`.
  const show = await q`apt-cache show --no-all-versions ${metapackage}`;
  const m = /^Depends:.*?\b(linux-image-[^\s,(]+)(?:\s*\(=\s*([^)\s]+)\))?/m.exec(show.stdout);
  if (show.exitCode !== 0 || !m) {
    return { error: `apt-cache knows no ${metapackage} (run apt-get update, see scripts/setup.sh)` };
  }
  const name = m[1]!;
  if (m[2]) return { metapackage, name, version: m[2] };
  const pol = await q`apt-cache policy ${name}`;
  const cand = /^\s*Candidate:\s*(\S+)/m.exec(pol.stdout);
  if (pol.exitCode !== 0 || !cand || cand[1] === '(none)') {
    return { error: `apt-cache has no candidate version of ${name} (run apt-get update)` };
  }
  return { metapackage, name, version: cand[1]! };
}

/** A completed unpack in the cache for this exact package version, if any. */
export async function findCachedDebian(cacheRoot: string, pkg: DebianPackage): Promise<UnpackedDebianKernel | undefined> {
  const root = debianKernelDir(cacheRoot, pkg.name, pkg.version);
  return readMarker(root);
}

/** Newest completed unpack of any version of a metapackage's kernel (offline fallback). */
export async function findAnyCachedDebian(cacheRoot: string, metapackage: string): Promise<UnpackedDebianKernel | undefined> {
  const dir = path.join(cacheRoot, 'kernels');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const found: { k: UnpackedDebianKernel; mtime: number }[] = [];
  for (const n of names) {
    const k = await readMarker(path.join(dir, n));
    if (k && k.pkg.metapackage === metapackage) found.push({ k, mtime: (await stat(path.join(dir, n, MARKER))).mtimeMs });
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return found[0]?.k;
}

async function readMarker(root: string): Promise<UnpackedDebianKernel | undefined> {
  try {
    const j = JSON.parse(await readFile(path.join(root, MARKER), 'utf8')) as { pkg: DebianPackage; release: string };
    const vmlinuz = path.join(root, 'boot', `vmlinuz-${j.release}`);
    await stat(vmlinuz);
    return { pkg: j.pkg, root, vmlinuz, release: j.release, cached: true };
  } catch {
    return undefined;
  }
}

/**
 * `apt-get download` the package into a scratch dir under the cache, `dpkg-deb -x` it, and
 * rename the result into place (so an interrupted run never leaves a half-unpacked kernel).
 * The .deb is deleted afterwards; nothing is installed.
 */
export async function downloadAndUnpack(cacheRoot: string, pkg: DebianPackage, log: (s: string) => void): Promise<UnpackedDebianKernel> {
  for (const tool of ['apt-get', 'dpkg-deb']) {
    if (!(await haveTool(tool))) throw envMissing(`${tool} not found: cannot fetch ${pkg.name} (install it or pass --kernel PATH)`);
  }
  const kernels = path.join(cacheRoot, 'kernels');
  await mkdir(kernels, { recursive: true });
  const root = debianKernelDir(cacheRoot, pkg.name, pkg.version);
  // Concurrent runs (parallel tests, two terminals) fetch a package once: the others wait.
  return withLock(`${root}.lock`, async () => {
    const done = await readMarker(root);
    if (done) return done;
    const scratch = await mkdtemp(path.join(kernels, '.tmp-'));
    try {
      log(`downloading ${pkg.name} ${pkg.version} from the Debian archive`);
      const t0 = performance.now();
      const dl = await $({ quiet: true, nothrow: true, cwd: scratch })`apt-get download ${`${pkg.name}=${pkg.version}`}`;
      const downloadMs = performance.now() - t0;
      const debs = (await readdir(scratch)).filter((f) => f.endsWith('.deb'));
      if (dl.exitCode !== 0 || debs.length !== 1) {
        const why = lastLine(dl.stderr) || `exit ${dl.exitCode}`;
        throw envMissing(`apt-get download ${pkg.name}=${pkg.version} failed: ${why}`);
      }
      const unpackDir = path.join(scratch, 'root');
      const t1 = performance.now();
      const x = await q`dpkg-deb -x ${path.join(scratch, debs[0]!)} ${unpackDir}`;
      const unpackMs = performance.now() - t1;
      if (x.exitCode !== 0) throw envMissing(`dpkg-deb -x ${debs[0]} failed: ${lastLine(x.stderr) || `exit ${x.exitCode}`}`);
      const release = await findRelease(unpackDir, pkg);
      await writeFile(path.join(unpackDir, MARKER), JSON.stringify({ pkg, release }, null, 2) + '\n');
      await rm(root, { recursive: true, force: true }); // a leftover without marker: incomplete
      await rename(unpackDir, root);
      return { pkg, root, vmlinuz: path.join(root, 'boot', `vmlinuz-${release}`), release, downloadMs, unpackMs, cached: false };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

/** mkdir is atomic: the lock is a directory; a lock older than 10 minutes is a crashed run's. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 10 * 60_000) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw envMissing(`timed out waiting for ${lock} (another peerprop fetching the same kernel?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The release is the suffix of boot/vmlinuz-<release>. */
async function findRelease(root: string, pkg: DebianPackage): Promise<string> {
  let files: string[] = [];
  try {
    files = await readdir(path.join(root, 'boot'));
  } catch {
    /* fall through */
  }
  const vm = files.find((f) => f.startsWith('vmlinuz-'));
  if (!vm) throw envMissing(`${pkg.name} ${pkg.version} has no boot/vmlinuz-*: not a kernel image package`);
  return vm.slice('vmlinuz-'.length);
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
