/**
 * Where the files of a tree come from: a directory on disk, or a revision in a git object
 * store. Both yield the same TreeSources; the git side also yields a content key (the blob ids)
 * so that revisions that did not change these files reuse a verdict.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from '../core/errors.ts';
import { HEADER_PATHS, ROUTE_C, type TreeSources } from './types.ts';
import type { ObjectReader } from './git.ts';

const SCANNED_PATHS: readonly string[] = [ROUTE_C, ...HEADER_PATHS];

async function readIfFile(path: string): Promise<string | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return readFile(path, 'utf8');
}

/** Reads route.c and the headers of a kernel tree directory (missing files are left out). */
export async function readTreeSources(dir: string): Promise<TreeSources> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw badInput('no such directory', { file: dir });
  if (!st.isDirectory()) throw badInput('not a directory (expected a kernel tree)', { file: dir });
  const [routeC, ...headers] = await Promise.all(SCANNED_PATHS.map((p) => readIfFile(join(dir, p))));
  const out: TreeSources = { headers: {} };
  if (routeC !== undefined) out.routeC = routeC;
  HEADER_PATHS.forEach((p, i) => {
    const text = headers[i];
    if (text !== undefined) out.headers[p] = text;
  });
  return out;
}

/** The blob ids of the scanned paths at one revision ('-' for an absent path). */
export interface RevisionBlobs {
  /** Stable key: one blob id (or '-') per scanned path, in SCANNED_PATHS order. */
  key: string;
  blobs: (string | undefined)[];
}

/** Looks up, without reading them, the blobs of the scanned paths at a commit. */
export async function revisionBlobs(reader: ObjectReader, commit: string): Promise<RevisionBlobs> {
  const infos = await Promise.all(SCANNED_PATHS.map((p) => reader.info(`${commit}:${p}`)));
  const blobs = infos.map((i) => (i && i.type === 'blob' ? i.oid : undefined));
  return { key: blobs.map((b) => b ?? '-').join(' '), blobs };
}

/** Reads the blobs found by revisionBlobs. */
export async function readRevisionSources(reader: ObjectReader, blobs: RevisionBlobs): Promise<TreeSources> {
  const texts = await Promise.all(
    blobs.blobs.map(async (oid) => (oid ? (await reader.contents(oid))?.data.toString('utf8') : undefined)),
  );
  const out: TreeSources = { headers: {} };
  if (texts[0] !== undefined) out.routeC = texts[0];
  HEADER_PATHS.forEach((p, i) => {
    const text = texts[i + 1];
    if (text !== undefined) out.headers[p] = text;
  });
  return out;
}
