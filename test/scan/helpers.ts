/** Builds real git repositories in temp dirs for the scan tests (one commit per step). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Step {
  message: string;
  /** path -> new content, or null to delete. */
  files: Record<string, string | null>;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'peerprop test',
  GIT_AUTHOR_EMAIL: 'test@peerprop.invalid',
  GIT_COMMITTER_NAME: 'peerprop test',
  GIT_COMMITTER_EMAIL: 'test@peerprop.invalid',
  GIT_AUTHOR_DATE: '2011-02-10T13:33:00Z',
  GIT_COMMITTER_DATE: '2011-02-10T13:33:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

export interface BuiltRepo {
  dir: string;
  /** Commit id of each step, in order. */
  commits: string[];
  cleanup(): void;
}

/** A new repository with one commit per step (files are written, then `git add -A`). */
export function buildRepo(steps: Step[], prefix = 'peerprop-scan-'): BuiltRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  git(dir, 'init', '-q');
  const commits: string[] = [];
  for (const step of steps) {
    for (const [p, content] of Object.entries(step.files)) {
      const full = join(dir, p);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--allow-empty', '-m', step.message);
    commits.push(git(dir, 'rev-parse', 'HEAD').trim());
  }
  return { dir, commits, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A collecting writable for runScan / main(). */
export function sink(): { stream: Writable; text(): string } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}
