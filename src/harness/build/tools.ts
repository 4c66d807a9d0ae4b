/**
 * The toolchain a kernel build needs, found on PATH without spawning a shell, and the
 * compiler's identity (part of every build's cache key: a new gcc means new objects).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { envMissing } from '../../core/errors.ts';

/** Debian package that provides each tool (named in the exit-3 message). */
export const TOOL_PACKAGES: Record<string, string> = {
  gcc: 'gcc',
  make: 'make',
  perl: 'perl',
  bc: 'bc',
  flex: 'flex',
  bison: 'bison',
  tar: 'tar',
  git: 'git',
  ld: 'binutils',
  ccache: 'ccache',
};

/** The first executable `name` on PATH (or on `pathVar`), else undefined. */
export function which(name: string, pathVar: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Exit 3 naming every missing tool and its package, with why each is needed.
 * `needed` maps a tool to the reason ("kernel/timeconst.pl").
 */
export function requireTools(needed: Map<string, string>, pathVar?: string): void {
  const missing = [...needed].filter(([tool]) => !which(tool, pathVar));
  if (missing.length === 0) return;
  const parts = missing.map(([tool, why]) => `${tool} (Debian package ${TOOL_PACKAGES[tool] ?? tool}; ${why})`);
  throw envMissing(`building this kernel needs ${parts.join(', ')}: not found in PATH (scripts/setup.sh installs them)`);
}

export interface CompilerIdentity {
  /** First line of `gcc --version` and `ld --version`: the cache key's compiler part. */
  id: string;
  /** gcc's major version (12): which compiler-gccN.h an old tree needs. */
  major: number;
  /** gcc builds position-independent code unless told otherwise (Debian's default). */
  defaultPie: boolean;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function compilerIdentity(): Promise<CompilerIdentity> {
  const gccLine = (await run('gcc', ['--version']).catch(() => '')).split('\n')[0] ?? '';
  if (!gccLine) throw envMissing('building a kernel needs gcc (Debian package gcc): `gcc --version` failed');
  const ldLine = (await run('ld', ['--version']).catch(() => '')).split('\n')[0] ?? '';
  const major = Number((await run('gcc', ['-dumpversion'])).trim().split('.')[0]);
  const macros = await run('gcc', ['-dM', '-E', '-x', 'c', '-'], '').catch(() => '');
  return { id: `${gccLine} | ${ldLine}`, major, defaultPie: /#define __PIE__ /.test(macros) };
}
