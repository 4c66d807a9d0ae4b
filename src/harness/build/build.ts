/**
 * `peerprop kernel build`: a bootable kernel from a source tree or a git revision, for the
 * seed era (2.6.39 .. 3.x) and for modern trees.
 *
 *   source (dir or git rev) -> is it a kernel, which era, which fixes (read before extracting)
 *   -> cache key -> cached? done
 *   -> scratch copy (git archive | tar -x, or tar of DIR) -> fixes -> config -> make bzImage
 *   -> <cache>/built/<name>/{bzImage,vmlinux,System.map,config,COMMIT,BUILD.json}
 *
 * The user's tree is only read. Modern trees given as a directory keep the out-of-tree build of
 * build-kernel.ts (no copy, incremental make); their outputs are linked into the same layout.
 */
import { constants as fsConstants, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { $ } from 'zx';
import { badInput, PeerpropError, ExitCode } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import { followKbuild } from '../kbuild-progress.ts';
import type { Era } from '../../model/types.ts';
import { harnessCacheDir } from '../../core/cache-dir.ts';
import { configureTree, recipeFragments } from './config.ts';
import { applyFixes, detectFixes, wrapperScript, type FixPlan } from './fixes.ts';
import { identifyKernelSource } from './identify.ts';
import { buildKey } from './key.ts';
import { acquireScratch } from './scratch.ts';
import { dirSource, gitSource, type GitSource, type SourceReader } from './source.ts';
import { compilerIdentity, requireTools, which } from './tools.ts';

export interface BuildRequest {
  tree?: string;
  git?: string;
  rev?: string;
  /** Also copy the kernel's files here. */
  out?: string;
  cacheDir?: string;
  jobs?: number;
  log?: (line: string) => void;
  /** Use ccache when installed (default true). */
  ccache?: boolean;
  /** PATH used to look for the toolchain (test seam). */
  pathVar?: string;
  /** Build again even when the cache has this kernel (ccache still serves the objects). */
  rebuild?: boolean;
}

/** The tree did not compile (exit 3: this toolchain cannot build it); bisect skips such revisions. */
export class BuildFailure extends PeerpropError {
  constructor(message: string) {
    super(message, ExitCode.EnvMissing);
  }
}

export interface BuiltKernel {
  /** The kernel directory: bzImage, vmlinux, System.map, config, COMMIT, BUILD.json. */
  dir: string;
  bzImage: string;
  vmlinux: string;
  systemMap: string;
  config: string;
  version: string;
  era: Era;
  eraReason: string;
  recipe: 'modern' | 'seed-era';
  fixes: FixPlan[];
  key: string;
  cached: boolean;
  source: { kind: 'git'; repo: string; commit: string; subject: string } | { kind: 'tree'; path: string };
  buildMs?: number;
  ccache?: { hits: number; misses: number };
  out?: string;
}

export const KERNEL_FILES = ['bzImage', 'vmlinux', 'System.map', 'config', 'COMMIT', 'BUILD.json'] as const;

export async function buildKernel(req: BuildRequest): Promise<BuiltKernel> {
  const say = req.log ?? (() => {});
  if (!!req.tree === !!req.git) throw badInput('give either --tree DIR or --git REPO --rev REV');
  if (req.git && !req.rev) throw badInput('--git needs --rev REV');
  const src: SourceReader = req.git ? await gitSource(req.git, req.rev!) : await dirSource(req.tree!);
  const facts = await identifyKernelSource(src);
  requireTools(facts.tools, req.pathVar);
  if (req.git) requireTools(new Map([['git', '--git']]), req.pathVar);
  const sourceInfo: BuiltKernel['source'] = req.git
    ? { kind: 'git', repo: resolve(req.git), commit: (src as GitSource).commit, subject: (src as GitSource).subject }
    : { kind: 'tree', path: src.label };
  const cacheRoot = harnessCacheDir(req.cacheDir);
  say(`${src.label}: Linux ${facts.version}, era ${facts.era} (${facts.eraReason})`);

  if (req.tree && facts.recipe === 'modern') return modernTree(req, src, facts, sourceInfo, cacheRoot, say);

  const cc = await compilerIdentity();
  const fixes = await detectFixes(src, cc);
  const fragments = await recipeFragments(facts.recipe);
  const fragText = await Promise.all(fragments.map((f) => readFile(f, 'utf8')));
  const key = buildKey({ contentId: await src.contentId(), recipe: facts.recipe, fragments: fragText, compiler: cc.id, fixes: fixes.map((f) => f.id), arch: 'x86_64' });
  const short = sourceInfo.kind === 'git' ? sourceInfo.commit.slice(0, 12) : 'tree';
  const dir = join(cacheRoot, 'built', `linux-${facts.version}-${short}-${key}`);
  const base = { version: facts.version, era: facts.era, eraReason: facts.eraReason, recipe: facts.recipe, fixes, key, source: sourceInfo };

  if (!req.rebuild && existsSync(join(dir, 'BUILD.json')) && KERNEL_FILES.every((f) => existsSync(join(dir, f)))) {
    say(`using cached build ${dir}`);
    return finish({ ...base, ...layout(dir), cached: true }, req.out);
  }

  const ccache = req.ccache === false ? undefined : which('ccache', req.pathVar);
  if (!ccache && req.ccache !== false) say('ccache not found (Debian package ccache): every build compiles from scratch');
  const scratch = await acquireScratch(cacheRoot, say);
  const t0 = performance.now();
  try {
    say(`extracting ${src.label} into ${scratch.dir}`);
    await src.extract(scratch.dir);
    await applyFixes(scratch.dir, fixes);
    for (const f of fixes) say(`fix: ${f.what}`);
    const wrapper = join(cacheRoot, 'scratch', 'cc');
    await writeFile(wrapper, wrapperScript(fixes, ccache));
    await chmod(wrapper, 0o755);
    const makeVars = ['ARCH=x86_64', `CC=${wrapper}`, 'HOSTCC=gcc'];
    say(`configuring (${facts.recipe === 'modern' ? 'tinyconfig' : 'allnoconfig'} + ${fragments.map((f) => f.split('/').pop()).join(', ')})`);
    await configureTree(scratch.dir, { recipe: facts.recipe, fragments, makeVars });
    const env = { ...process.env, CCACHE_DIR: join(cacheRoot, 'ccache') };
    if (ccache) await $({ quiet: true, nothrow: true, env })`${ccache} -z`;
    say(`building Linux ${facts.version} with ${req.jobs ?? availableParallelism()} jobs`);
    const objects = await makeWithProgress(scratch.dir, makeVars, req.jobs ?? availableParallelism(), env, await lastObjectCount(cacheRoot));
    await writeFile(join(cacheRoot, 'built', '.objects'), String(objects)).catch(() => {});
    const stats = ccache ? await ccacheStats(ccache, env) : undefined;
    const buildMs = performance.now() - t0;
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await copyFile(join(scratch.dir, 'arch/x86/boot/bzImage'), join(tmp, 'bzImage'));
    await rename(join(scratch.dir, 'vmlinux'), join(tmp, 'vmlinux')).catch(() => copyFile(join(scratch.dir, 'vmlinux'), join(tmp, 'vmlinux')));
    await copyFile(join(scratch.dir, 'System.map'), join(tmp, 'System.map'));
    await copyFile(join(scratch.dir, '.config'), join(tmp, 'config'));
    await writeFile(join(tmp, 'COMMIT'), commitLine(sourceInfo));
    await writeFile(join(tmp, 'BUILD.json'), JSON.stringify({ ...base, compiler: cc.id, buildMs: Math.round(buildMs), objects, ccache: stats, jobs: req.jobs ?? availableParallelism() }, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    say(`built ${dir} in ${(buildMs / 1000).toFixed(0)} s${stats ? ` (ccache: ${stats.hits} hits, ${stats.misses} misses)` : ''}`);
    return finish({ ...base, ...layout(dir), cached: false, buildMs, ccache: stats }, req.out);
  } finally {
    await scratch.release();
  }
}

function layout(dir: string) {
  return { dir, bzImage: join(dir, 'bzImage'), vmlinux: join(dir, 'vmlinux'), systemMap: join(dir, 'System.map'), config: join(dir, 'config') };
}

function commitLine(s: BuiltKernel['source']): string {
  return s.kind === 'git' ? `${s.commit} ${s.subject}\n` : `tree ${s.path}\n`;
}

async function finish(k: BuiltKernel, out: string | undefined): Promise<BuiltKernel> {
  if (!out) return k;
  const o = resolve(out);
  await mkdir(o, { recursive: true });
  // Copies (a reflink where the filesystem has them): editing the copy must not touch the cache.
  for (const f of KERNEL_FILES) {
    if (!existsSync(join(k.dir, f))) continue;
    await rm(join(o, f), { force: true });
    await copyFile(join(k.dir, f), join(o, f), fsConstants.COPYFILE_FICLONE);
  }
  return { ...k, out: o };
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(() => copyFile(from, to));
}

/** A modern tree: the existing out-of-tree build (never writes the tree), exported in the same layout. */
async function modernTree(req: BuildRequest, src: SourceReader, facts: Awaited<ReturnType<typeof identifyKernelSource>>, source: BuiltKernel['source'], cacheRoot: string, say: (s: string) => void): Promise<BuiltKernel> {
  const { buildTreeKernel } = await import('../build-kernel.ts');
  const t0 = performance.now();
  const b = await buildTreeKernel(src.label, { cacheDir: req.cacheDir, jobs: req.jobs, log: say });
  const key = b.outDir.split('-').pop()!;
  const dir = join(cacheRoot, 'built', `linux-${b.version}-tree-${key}`);
  await mkdir(dir, { recursive: true });
  await linkOrCopy(b.bzImage, join(dir, 'bzImage'));
  await linkOrCopy(b.vmlinux, join(dir, 'vmlinux'));
  await linkOrCopy(join(b.outDir, 'System.map'), join(dir, 'System.map'));
  await linkOrCopy(b.config, join(dir, 'config'));
  await writeFile(join(dir, 'COMMIT'), commitLine(source));
  const base = { version: b.version, era: facts.era, eraReason: facts.eraReason, recipe: facts.recipe, fixes: [] as FixPlan[], key, source };
  await writeFile(join(dir, 'BUILD.json'), JSON.stringify({ ...base, outOfTree: b.outDir }, null, 2) + '\n');
  return finish({ ...base, ...layout(dir), cached: b.cached, buildMs: b.cached ? undefined : performance.now() - t0 }, req.out);
}

async function lastObjectCount(cacheRoot: string): Promise<number> {
  const n = Number(await readFile(join(cacheRoot, 'built', '.objects'), 'utf8').catch(() => ''));
  return Number.isFinite(n) && n > 100 ? n : 1200;
}

async function ccacheStats(ccache: string, env: NodeJS.ProcessEnv): Promise<{ hits: number; misses: number } | undefined> {
  const r = await $({ quiet: true, nothrow: true, env })`${ccache} --print-stats`;
  if (r.exitCode !== 0) return undefined;
  const v = new Map(r.stdout.split('\n').map((l) => l.split('\t') as [string, string]));
  const n = (k: string) => Number(v.get(k) ?? 0);
  return { hits: n('direct_cache_hit') + n('preprocessed_cache_hit'), misses: n('cache_miss') };
}

/** `make bzImage` with a bar on a terminal (objects compiled so far / the last build's count). */
async function makeWithProgress(dir: string, vars: string[], jobs: number, env: NodeJS.ProcessEnv, expected: number): Promise<number> {
  const progress = createProgress();
  const proc = $({ quiet: true, nothrow: true, cwd: dir, env })`make ${vars} -j${jobs} bzImage`;
  const follow = followKbuild(proc.stdout, progress, expected, 1.2);
  const r = await proc;
  progress.stop();
  if (r.exitCode !== 0 || !existsSync(join(dir, 'arch/x86/boot/bzImage'))) {
    const errs = r.stderr.split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' ');
    const last = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
    throw new BuildFailure(`kernel build failed: ${errs || last || `make exited ${r.exitCode}`}`);
  }
  return follow.done();
}
