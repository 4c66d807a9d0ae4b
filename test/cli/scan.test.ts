import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRepo, type BuiltRepo } from '../scan/helpers.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const run = (...argv: string[]): Promise<CliRun> => runCli(argv);

let repo: BuiltRepo;
let plain: string;
beforeAll(() => {
  repo = buildRepo([{ message: 'one', files: { README: 'x' } }]);
  plain = mkdtempSync(join(tmpdir(), 'peerprop-cli-scan-'));
  mkdirSync(join(plain, 'net/ipv4'), { recursive: true });
  writeFileSync(join(plain, 'a-file'), 'x');
});
afterAll(() => repo.cleanup());

describe('peerprop scan: usage and bad input (exit 2, one line, nothing on stdout)', () => {
  const cases: [string, string[], RegExp][] = [
    ['no target', ['scan'], /give kernel tree directories or --git REPO/],
    ['--revs without --git', ['scan', '.', '--revs', 'A..B'], /--revs and --bisect need --git/],
    ['trees and --git together', ['scan', '.', '--git', '.'], /either kernel tree directories or --git/],
    ['--bisect with --revs', ['scan', '--git', '.', '--revs', 'HEAD', '--bisect', 'A..B'], /--bisect GOOD..BAD replaces --revs/],
    ['bad --jobs', ['scan', '.', '--jobs', '0'], /--jobs expects a whole number/],
    ['bad --jobs text', ['scan', '.', '--jobs', 'two'], /--jobs expects a whole number/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, async () => {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.out).toBe('');
    });
  }
  it('unknown format is a usage error', async () => {
    const r = await run('scan', '.', '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/format/);
  });
  it('a missing directory names the path', async () => {
    const r = await run('scan', join(plain, 'nope'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`peerprop: ${join(plain, 'nope')}: no such directory\n`);
  });
  it('a file instead of a tree', async () => {
    const r = await run('scan', join(plain, 'a-file'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a directory \(expected a kernel tree\)/);
  });
  it('--git on a directory that is not a repository', async () => {
    const r = await run('scan', '--git', plain);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a git repository/);
  });
  it('--git with an unknown revision', async () => {
    const r = await run('scan', '--git', repo.dir, '--revs', 'nosuch..HEAD');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nosuch/);
  });
});

describe('peerprop scan: environment', () => {
  it('exit 3 when git is not installed', async () => {
    const saved = process.env.PATH;
    process.env.PATH = join(plain, 'empty-path');
    try {
      const r = await run('scan', '--git', repo.dir);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/git not found in PATH/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('peerprop scan: a tree without route.c', () => {
  it('is skipped with the reason, exit 2 (nothing checked)', async () => {
    const r = await run('scan', plain);
    expect(r.code).toBe(2);
    expect(r.out).toBe(`${plain}  unknown  skipped  skipped: net/ipv4/route.c not found\n`);
  });
  it('a revision without route.c likewise', async () => {
    const r = await run('scan', '--git', repo.dir, '--format', 'json');
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out);
    expect(j.entries[0].verdict.status).toBe('skipped');
    expect(j.entries[0].subject).toBe('one');
  });
});
