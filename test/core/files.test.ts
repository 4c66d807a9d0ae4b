import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/core/files.ts';
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
