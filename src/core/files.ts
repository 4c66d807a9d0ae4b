/**
 * Writing a result file so that a reader never sees half of it: the text goes to a temporary
 * file beside the target, then replaces it in one rename. A failure is a one-line error naming
 * the file (exit 2: a path the user gave that cannot be written), and leaves the target as it was.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { badInput } from './errors.ts';

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw badInput(`cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path });
  }
}
