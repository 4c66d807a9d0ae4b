/**
 * Writing a result file so that a reader never sees half of it: the text goes to a temporary
 * file beside the target, then replaces it in one rename. A failure is a one-line error naming
 * the file (exit 2: a path the user gave that cannot be written), and leaves the target as it was.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/**
 * A memo file (a cache of some answer) as JSON, or undefined when it is missing, unreadable or
 * not a JSON object: a memo cut short by a full disk or a killed run is asked around, never
 * believed and never an error. Its fields are the caller's to check.
 */
export async function readMemo<T extends object>(path: string): Promise<Partial<T> | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}
