/**
 * `conform --tree DIR`: a small test kernel built out of tree, cached.
 *
 *   make -C DIR O=<cache>/builds/<key> tinyconfig
 *   scripts/kconfig/merge_config.sh -m -O <out> <out>/.config kernel-fixtures/config/*.config
 *   make O=<out> olddefconfig           (then every requested value must be in the final .config)
 *   make O=<out> -j<cpus> bzImage        (progress on a TTY)
 *
 * The tree is only read. The build directory is keyed by the tree's real path and the fragments;
 * `make` is re-run (incrementally) only when a source file is newer than the bzImage.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, realpath, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { badInput, envMissing, PeerpropError, ExitCode } from '../core/errors.ts';
import { createProgress } from '../core/progress.ts';
import { followKbuild } from './kbuild-progress.ts';
import { harnessCacheDir } from '../core/cache-dir.ts';

export const CONFIG_FRAGMENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel-fixtures/config');

export interface TreeBuildOptions {
  cacheDir?: string;
  /** Fragment files (default: every *.config in kernel-fixtures/config/). */
  fragments?: string[];
  jobs?: number;
  log?: (line: string) => void;
}

export interface TreeKernel {
  bzImage: string;
  /** The vmlinux with DWARF (types for the probe generator). */
  vmlinux: string;
  outDir: string;
  config: string;
  /** Nothing was rebuilt. */
  cached: boolean;
  /** Kernel version from the tree's Makefile ("6.1.158"). */
  version: string;
}

/** A requested value that is not in the final .config (the message merge_config.sh prints). */
export interface ConfigMismatch {
  option: string;
  requested: string;
  actual: string;
}

export async function buildTreeKernel(tree: string, opts: TreeBuildOptions = {}): Promise<TreeKernel> {
  const say = opts.log ?? (() => {});
  const src = await checkTree(tree);
  const version = await treeVersion(src);
  const fragments = opts.fragments ?? (await defaultFragments());
  const fragText = await Promise.all(fragments.map((f) => readFile(f, 'utf8')));
  const key = createHash('sha256').update(src).update('\0').update(version).update('\0').update(fragText.join('\0')).digest('hex').slice(0, 16);
  const out = join(harnessCacheDir(opts.cacheDir), 'builds', `linux-${version}-${key}`);
  const bzImage = join(out, 'arch/x86/boot/bzImage');
  const vmlinux = join(out, 'vmlinux');
  const config = join(out, '.config');
  await mkdir(out, { recursive: true });
  for (const tool of ['make', 'gcc', 'flex', 'bison', 'bc']) {
    if (!(await $({ quiet: true, nothrow: true })`command -v ${tool}`).stdout.trim()) throw envMissing(`building a kernel needs ${tool} (see scripts/setup.sh)`);
  }

  const stampFile = join(out, '.peerprop-config-stamp');
  const configured = existsSync(config) && existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === key;
  if (!configured) {
    say(`configuring ${src} (tinyconfig + ${fragments.map((f) => f.split('/').pop()).join(', ')}) in ${out}`);
    await make(src, out, ['tinyconfig']);
    const merge = join(src, 'scripts/kconfig/merge_config.sh');
    if (existsSync(merge)) {
      const r = await $({ quiet: true, nothrow: true, cwd: src })`sh ${merge} -m -O ${out} ${config} ${fragments}`;
      if (r.exitCode !== 0) throw new PeerpropError(`merge_config.sh failed: ${lastLine(r.stderr || r.stdout)}`, ExitCode.EnvMissing);
    } else {
      await writeFile(config, mergeFragments(await readFile(config, 'utf8'), fragText));
    }
    await make(src, out, ['olddefconfig']);
    const mismatches = checkConfig(await readFile(config, 'utf8'), fragText);
    if (mismatches.length > 0) {
      const m = mismatches[0]!;
      throw badInput(
        `Value requested for ${m.option} not in final .config (requested ${m.requested}, actual ${m.actual})` +
          (mismatches.length > 1 ? `; and ${mismatches.length - 1} more: ${mismatches.slice(1).map((x) => x.option).join(', ')}` : ''),
        { file: fragments[0]! },
      );
    }
    await writeFile(stampFile, key);
  }

  if (existsSync(bzImage) && existsSync(vmlinux) && configured && !(await newerSource(src, bzImage))) {
    say(`using cached build ${bzImage}`);
    return { bzImage, vmlinux, outDir: out, config, cached: true, version };
  }
  say(`building Linux ${version} in ${out} (a few minutes)`);
  await buildWithProgress(src, out, opts.jobs ?? availableParallelism());
  if (!existsSync(bzImage)) throw new PeerpropError(`the build produced no ${bzImage}`, ExitCode.EnvMissing);
  return { bzImage, vmlinux, outDir: out, config, cached: false, version };
}

async function checkTree(tree: string): Promise<string> {
  if (!existsSync(tree)) throw badInput(`--tree: no such directory: ${tree}`);
  const src = await realpath(tree);
  for (const f of ['Makefile', 'Kconfig', 'arch/x86/Kconfig', 'scripts/kconfig']) {
    if (!existsSync(join(src, f))) throw badInput(`--tree: ${src} is not a Linux source tree (no ${f})`);
  }
  return src;
}

async function treeVersion(src: string): Promise<string> {
  const mk = await readFile(join(src, 'Makefile'), 'utf8');
  const get = (k: string) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(mk)?.[1] ?? '';
  return [get('VERSION'), get('PATCHLEVEL'), get('SUBLEVEL')].filter(Boolean).join('.') + get('EXTRAVERSION');
}

async function defaultFragments(): Promise<string[]> {
  const files = (await readdir(CONFIG_FRAGMENT_DIR)).filter((f) => f.endsWith('.config')).sort();
  if (files.length === 0) throw envMissing(`no config fragment in ${CONFIG_FRAGMENT_DIR}`);
  return files.map((f) => join(CONFIG_FRAGMENT_DIR, f));
}

async function make(src: string, out: string, targets: string[]): Promise<void> {
  const r = await $({ quiet: true, nothrow: true })`make -C ${src} O=${out} ${targets}`;
  if (r.exitCode !== 0) throw new PeerpropError(`make ${targets.join(' ')} failed: ${lastLine(r.stderr || r.stdout)}`, ExitCode.EnvMissing);
}

/** `CONFIG_X=v` / `# CONFIG_X is not set` lines of the fragments, last one wins (as merge_config.sh). */
export function requestedValues(fragments: string[]): Map<string, string> {
  const req = new Map<string, string>();
  for (const text of fragments) {
    for (const line of text.split('\n')) {
      const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
      const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line.trim());
      if (set) req.set(set[1]!, set[2]!);
      else if (unset) req.set(unset[1]!, 'n');
    }
  }
  return req;
}

/** Applies the fragments to a .config text (for trees without merge_config.sh). */
export function mergeFragments(base: string, fragments: string[]): string {
  const req = requestedValues(fragments);
  const lines = base.split('\n').filter((l) => {
    const m = /^(?:# )?(CONFIG_[A-Za-z0-9_]+)[= ]/.exec(l);
    return !(m && req.has(m[1]!));
  });
  for (const [k, v] of req) lines.push(v === 'n' ? `# ${k} is not set` : `${k}=${v}`);
  return lines.join('\n') + '\n';
}

/** Every requested value must be in the final .config (merge_config.sh's own check). */
export function checkConfig(finalConfig: string, fragments: string[]): ConfigMismatch[] {
  const actual = new Map<string, string>();
  for (const line of finalConfig.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (set) actual.set(set[1]!, set[2]!);
    else if (unset) actual.set(unset[1]!, 'n');
  }
  const out: ConfigMismatch[] = [];
  for (const [k, v] of requestedValues(fragments)) {
    const a = actual.get(k) ?? 'n';
    if (a !== v) out.push({ option: k, requested: v, actual: actual.has(k) ? a : 'not set' });
  }
  return out;
}

/** True when some source file of the tree is newer than the image (an edited route.c ...). */
async function newerSource(src: string, image: string): Promise<boolean> {
  if (!existsSync(image)) return true;
  const expr = ['(', '-name', '*.c', '-o', '-name', '*.h', '-o', '-name', 'Makefile', '-o', '-name', 'Kconfig*', ')'];
  const r = await $({ quiet: true, nothrow: true })`find ${src} -newer ${image} ${expr} -print -quit`;
  return r.stdout.trim() !== '';
}

async function buildWithProgress(src: string, out: string, jobs: number): Promise<void> {
  const progress = createProgress();
  const proc = $({ quiet: true, nothrow: true })`make -C ${src} O=${out} -j${jobs} bzImage`;
  // Roughly how many objects a tinyconfig-based build compiles: the bar's scale, corrected as we go.
  const follow = followKbuild(proc.stdout, progress, 1500, 1.3);
  const r = await proc;
  progress.stop();
  if (r.exitCode !== 0) {
    const err = r.stderr.split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' ') || lastLine(r.stderr) || follow.lastLine();
    throw new PeerpropError(`kernel build failed: ${err}`, ExitCode.EnvMissing);
  }
}

function lastLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
}
