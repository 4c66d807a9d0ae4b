import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMemo, writeFileAtomic } from '../../src/core/files.ts';
import { PeerpropError } from '../../src/core/errors.ts';

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerprop-files-'));
    const f = join(dir, 'report.html');
    await writeFile(f, 'old');
    await writeFileAtomic(f, 'new text');
    expect(await readFile(f, 'utf8')).toBe('new text');
    expect(await readdir(dir)).toEqual(['report.html']);
  });

  it('a path that cannot be written is a one-line bad-input error naming it', async () => {
    const err = await writeFileAtomic('/nonexistent-dir/x/report.html', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(2);
    expect((err as PeerpropError).oneLine()).toMatch(/^\/nonexistent-dir\/x\/report\.html: cannot write \(ENOENT\)$/);
  });
});

describe('readMemo', () => {
  it('gives a memo object back; a missing, cut-short or non-object memo is undefined, never thrown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerprop-memo-'));
    const memo = join(dir, 'm.json');
    expect(await readMemo(memo)).toBeUndefined();
    const whole = JSON.stringify({ key: 'k', answers: { 'linux-image-cloud-amd64': { release: '6.1.0-57-cloud-amd64' } } });
    await writeFile(memo, whole);
    expect(await readMemo<{ key: string }>(memo)).toEqual(JSON.parse(whole));
    // Every prefix of it (a write cut short) and other JSON values are asked around.
    for (let n = 0; n < whole.length; n++) {
      await writeFile(memo, whole.slice(0, n));
      expect(await readMemo(memo)).toBeUndefined();
    }
    for (const other of ['[1,2]', 'null', '"text"', '42']) {
      await writeFile(memo, other);
      expect(await readMemo(memo)).toBeUndefined();
    }
    expect(await readMemo(dir)).toBeUndefined(); // a directory where the memo should be
  });
});
