import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertGitRepo, gitVersion, listRevisions, ObjectReader, resolveCommit } from '../../src/scan/git.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { buildRepo, git, type BuiltRepo } from './helpers.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let repo: BuiltRepo;

beforeAll(() => {
  repo = buildRepo([
    { message: 'first', files: { 'net/ipv4/route.c': 'one\n', 'README': 'x' } },
    { message: 'unrelated', files: { 'README': 'y' } },
    { message: 'second route.c', files: { 'net/ipv4/route.c': 'two\nlines\n' } },
    { message: 'binary-ish blob', files: { 'bin.dat': '\u0000\n\n\u0001' } },
  ]);
});
afterAll(() => repo.cleanup());

describe('listRevisions', () => {
  it('lists a range oldest first with subjects', async () => {
    const revs = await listRevisions(repo.dir, `${repo.commits[0]}..HEAD`);
    expect(revs.map((r) => r.oid)).toEqual(repo.commits.slice(1));
    expect(revs.map((r) => r.subject)).toEqual(['unrelated', 'second route.c', 'binary-ish blob']);
  });
  it('lists a single revision', async () => {
    const revs = await listRevisions(repo.dir, 'HEAD~1');
    expect(revs).toEqual([{ oid: repo.commits[2], subject: 'second route.c' }]);
    expect(await listRevisions(repo.dir, 'HEAD^')).toEqual(revs);
  });
  it('understands the other range forms', async () => {
    expect((await listRevisions(repo.dir, 'HEAD^!')).map((r) => r.oid)).toEqual([repo.commits[3]]);
    expect((await listRevisions(repo.dir, `^${repo.commits[1]} HEAD`)).map((r) => r.oid)).toEqual(repo.commits.slice(2));
  });
  it('rejects an unknown revision with exit 2 and a one-line message', async () => {
    const err = await listRevisions(repo.dir, 'nope..HEAD').catch((e) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).toMatch(/nope/);
    expect(err.oneLine()).not.toContain('\n');
  });
  it('refuses option-looking ranges', async () => {
    await expect(listRevisions(repo.dir, '--all')).rejects.toThrow(/must not start with '-'/);
  });
});

describe('resolveCommit / assertGitRepo', () => {
  it('resolves names to full ids', async () => {
    expect(await resolveCommit(repo.dir, 'HEAD~3')).toBe(repo.commits[0]);
    await expect(resolveCommit(repo.dir, 'HEAD~9')).rejects.toThrow(/unknown revision/);
  });
  it('tells a directory that is not a repository', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'peerprop-plain-'));
    await expect(assertGitRepo(plain)).rejects.toThrow(/not a git repository/);
    await expect(assertGitRepo(join(plain, 'missing'))).rejects.toThrow(/not a directory/);
  });
});

describe.each(['batch-command', 'batch-pair'] as const)('ObjectReader (cat-file, %s)', (mode) => {
  it('answers info and contents in order, null for missing paths', async () => {
    const r = await ObjectReader.open(repo.dir, { mode });
    expect(r.mode).toBe(mode);
    try {
      const [a, b, missing, c] = await Promise.all([
        r.info(`${repo.commits[0]}:net/ipv4/route.c`),
        r.info(`${repo.commits[1]}:net/ipv4/route.c`),
        r.info(`${repo.commits[0]}:no/such/file`),
        r.contents(`${repo.commits[2]}:net/ipv4/route.c`),
      ]);
      expect(a?.oid).toBe(b?.oid); // unchanged by the unrelated commit
      expect(a?.type).toBe('blob');
      expect(missing).toBeNull();
      expect(c?.data.toString()).toBe('two\nlines\n');
      expect(c?.oid).toBe(git(repo.dir, 'rev-parse', `${repo.commits[2]}:net/ipv4/route.c`).trim());
      const bin = await r.contents('HEAD:bin.dat');
      expect(bin?.data.toString()).toBe('\u0000\n\n\u0001');
      // Many pipelined requests keep their order.
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => r.contents(`${repo.commits[i % 4]}:README`)));
      expect(many.map((m) => m?.data.toString())).toEqual(Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 'x' : 'y')));
    } finally {
      r.close();
    }
  });
});

describe('ObjectReader mode choice', () => {
  it('uses one --batch-command process when git has it (2.36+), the pair otherwise', async () => {
    const v = await gitVersion();
    expect(v).toBeDefined();
    const r = await ObjectReader.open(repo.dir);
    try {
      expect(r.mode).toBe(v![0] > 2 || (v![0] === 2 && v![1] >= 36) ? 'batch-command' : 'batch-pair');
    } finally {
      r.close();
    }
  });
});
