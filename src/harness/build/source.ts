/**
 * Where a kernel build's source comes from: a directory (read only, copied) or a git revision
 * (`git archive`, never a checkout). Both are read through one small interface, so that the
 * checks (is it a kernel, which era, which fixes) run before anything is extracted.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { $ } from 'zx';
import { badInput, PeerpropError, ExitCode } from '../../core/errors.ts';
import { assertGitRepo, runGit } from '../../scan/git.ts';

export interface SourceReader {
  /** `git REPO@REV` or the directory: what error messages name. */
  readonly label: string;
  read(path: string): Promise<string | undefined>;
  exists(path: string): Promise<boolean>;
  /** Content identity: the git tree id, or a hash of the directory's files. */
  contentId(): Promise<string>;
  /** Writes the source into `dir` (an empty directory). */
  extract(dir: string): Promise<void>;
}

export interface GitSource extends SourceReader {
  repo: string;
  commit: string;
  subject: string;
}

/** A revision of a git repository (bare or not), resolved to its commit. */
export async function gitSource(repo: string, rev: string): Promise<GitSource> {
  await assertGitRepo(repo);
  const commit = (await runGit(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => '')).trim();
  if (!/^[0-9a-f]{40}$/.test(commit)) throw badInput(`--rev: ${rev} is not a commit of this repository`, { file: repo });
  const subject = (await runGit(repo, ['log', '-1', '--format=%s', commit])).trim();
  const cat = (path: string) =>
    new Promise<string | undefined>((resolve) =>
      execFile('git', ['-C', repo, 'cat-file', 'blob', `${commit}:${path}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, out) => resolve(err ? undefined : out)),
    );
  return {
    label: `${repo}@${commit.slice(0, 12)}`,
    repo,
    commit,
    subject,
    read: cat,
    exists: async (path) => (await runGit(repo, ['cat-file', '-t', `${commit}:${path}`]).catch(() => '')).trim() !== '',
    contentId: async () => `git-tree:${(await runGit(repo, ['rev-parse', `${commit}^{tree}`])).trim()}`,
    extract: async (dir) => {
      const r = await $({ quiet: true, nothrow: true })`git -C ${repo} archive --format=tar ${commit} | tar -x -C ${dir}`;
      if (r.exitCode !== 0) throw new PeerpropError(`git archive ${commit.slice(0, 12)} | tar -x failed: ${r.stderr.trim().split('\n')[0]}`, ExitCode.EnvMissing);
    },
  };
}

/**
 * Files a build leaves in a tree, left out of its content hash and of the scratch copy
 * (a user's tree may have been built in place; the scratch build starts clean).
 */
const BUILD_LEFTOVER = /(^|\/)(\.git|\.tmp_[^/]*|\.config(\.old)?|\.version|Module\.symvers|modules\.order|System\.map|vmlinux(\.o)?)$|\.(o|ko|a|cmd|mod\.c|order)$/;

export async function dirSource(tree: string): Promise<SourceReader> {
  if (!existsSync(tree)) throw badInput(`--tree: no such directory: ${tree}`);
  const src = await realpath(tree);
  if (!(await lstat(src)).isDirectory()) throw badInput(`--tree: not a directory: ${src}`);
  let id: string | undefined;
  return {
    label: src,
    read: (path) => readFile(join(src, path), 'utf8').catch(() => undefined),
    exists: async (path) => existsSync(join(src, path)),
    contentId: async () => (id ??= `tree:${await hashTree(src)}`),
    extract: async (dir) => {
      const r = await $({ quiet: true, nothrow: true })`tar -C ${src} --exclude=.git --exclude=*.o --exclude=*.ko --exclude=*.cmd -cf - . | tar -x -C ${dir}`;
      if (r.exitCode !== 0) throw new PeerpropError(`copying ${src} failed: ${r.stderr.trim().split('\n')[0]}`, ExitCode.EnvMissing);
    },
  };
}

/** sha256 over (path, size, sha1 of contents) of every file, in path order; links by target. */
export async function hashTree(root: string): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (BUILD_LEFTOVER.test(rel)) continue;
      if (e.isDirectory()) await walk(p);
      else files.push(rel);
    }
  };
  await walk(root);
  files.sort();
  const h = createHash('sha256');
  for (const rel of files) {
    const st = await lstat(join(root, rel));
    const body = st.isSymbolicLink() ? Buffer.from(`link:${rel}`) : await readFile(join(root, rel));
    h.update(rel).update('\0').update(createHash('sha1').update(body).digest()).update('\0');
  }
  return h.digest('hex');
}

/** Kernel version from the top Makefile ("2.6.39.3", "2.6.38-rc2", "6.1.158"). */
export function makefileVersion(makefile: string): string {
  const get = (k: string) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(makefile)?.[1] ?? '';
  return [get('VERSION'), get('PATCHLEVEL'), get('SUBLEVEL')].filter(Boolean).join('.') + get('EXTRAVERSION');
}
