/**
 * The header of one file's diff: a `diff --git` line with git's extended header lines (modes,
 * renames, copies, binary), and/or a `---`/`+++` pair, giving the two paths.
 */
import type { FilePatch } from './types.ts';
import { diffError, isFileStart, isSignature, lineNo, quote, type DiffReader } from './diff-lines.ts';
import { gitHeaderPaths, headerPath, stripPrefixes, unquotePath } from './diff-paths.ts';

export interface FileHeader {
  /** The file with its paths and metadata, and no hunks yet. */
  file: FilePatch;
  /** A mode change, rename, copy, binary, new or deleted file: valid without hunks. */
  meta: boolean;
  /** Index of the first line after the header. */
  next: number;
}

/** Reads the file header starting at lines[i] (a `diff --git` line or a `---`/`+++` pair). */
export function readFileHeader(r: DiffReader, i: number, end: number): FileHeader {
  const { lines } = r;
  const start = i;
  let git = false;
  let gitPaths: [string, string] | undefined;
  const file: FilePatch = { oldPath: '', newPath: '', headerLine: lineNo(r, i), hunks: [] };
  let meta = false;
  let renameFrom: string | undefined;
  let renameTo: string | undefined;
  let isNew = false;
  let isDeleted = false;
  if (lines[i]!.startsWith('diff --git ')) {
    git = true;
    gitPaths = gitHeaderPaths(lines[i]!.slice('diff --git '.length));
    i++;
    for (; i < end; i++) {
      const l = lines[i]!;
      let m: RegExpExecArray | null;
      if ((m = /^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d+))?\s*$/.exec(l))) {
        file.oldBlob = m[1];
        file.newBlob = m[2];
      } else if ((m = /^old mode (\d+)\s*$/.exec(l))) {
        file.oldMode = m[1];
        meta = true;
      } else if ((m = /^new mode (\d+)\s*$/.exec(l))) {
        file.newMode = m[1];
        meta = true;
      } else if ((m = /^new file mode (\d+)\s*$/.exec(l))) {
        file.newMode = m[1];
        isNew = meta = true;
      } else if ((m = /^deleted file mode (\d+)\s*$/.exec(l))) {
        file.oldMode = m[1];
        isDeleted = meta = true;
      } else if (/^(dis)?similarity index \d+%\s*$/.test(l)) {
        // percentage only
      } else if ((m = /^(rename|copy) from (.+)$/.exec(l))) {
        renameFrom = unquotePath(m[2]!);
        if (m[1] === 'rename') file.renamed = true;
        else file.copied = true;
        meta = true;
      } else if ((m = /^(rename|copy) to (.+)$/.exec(l))) {
        renameTo = unquotePath(m[2]!);
        meta = true;
      } else if (/^Binary files .* differ\s*$/.test(l)) {
        file.binary = meta = true;
      } else if (l === 'GIT binary patch') {
        file.binary = meta = true;
        i++;
        while (i < end && !isFileStart(lines, i, end) && !isSignature(lines, i, end)) i++;
        break;
      } else break;
    }
  }
  let oldRaw: string | undefined;
  let newRaw: string | undefined;
  if (i < end && lines[i]!.startsWith('--- ')) {
    if (!(i + 1 < end && lines[i + 1]!.startsWith('+++ '))) {
      throw diffError(r, i + 1, `file header '---' at line ${lineNo(r, i)} is not followed by a '+++' line`);
    }
    oldRaw = headerPath(lines[i]!);
    newRaw = headerPath(lines[i + 1]!);
    i += 2;
  } else if (git && !meta) {
    const what = i < end ? `line ${lineNo(r, i)} is ${quote(lines[i]!, 50)}` : 'the patch ends';
    throw diffError(
      r,
      i < end ? i : i - 1,
      i < end && lines[i]!.startsWith('@@')
        ? `diff header at line ${lineNo(r, start)} is not followed by its '---'/'+++' lines: ${what}`
        : `diff header at line ${lineNo(r, start)} has no '---'/'+++' lines and no hunks: ${what}`,
    );
  }
  if (oldRaw === undefined || newRaw === undefined) {
    const [a, b] = gitPaths ?? ['', ''];
    oldRaw = isNew ? '/dev/null' : renameFrom !== undefined ? `a/${renameFrom}` : a;
    newRaw = isDeleted ? '/dev/null' : renameTo !== undefined ? `b/${renameTo}` : b;
  }
  [file.oldPath, file.newPath] = stripPrefixes(oldRaw, newRaw, git);
  if (!file.oldPath || !file.newPath) throw diffError(r, start, `diff header at line ${lineNo(r, start)} names no file`);
  if (file.newPath === '/dev/null' && file.oldPath === '/dev/null') {
    throw diffError(r, start, `diff header at line ${lineNo(r, start)}: both sides are /dev/null`);
  }
  return { file, meta, next: i };
}
