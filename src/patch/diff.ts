/**
 * The diff part of a patch → FilePatch[] with patch line numbers, and the damage diagnosis:
 * what is wrong, where, and whether the repair is unambiguous (then it is made and reported)
 * or not (then a one-line PeerpropError at file:line:col).
 *
 * Strictness is deliberate and differs from git/jsdiff: a hunk is read by its header's counts;
 * a hunk that ends early is repaired only when the file was cut inside its trailing context
 * (same number of lines missing on both sides, and as many as the context size implies);
 * a hunk line after a complete hunk is an error, never silently dropped.
 *
 * The parts: diff-lines (the reader, line predicates, messages), diff-paths, diff-file-header,
 * diff-hunk-header and diff-hunk; this module walks files and the hunks of each.
 */
import type { FilePatch, HunkLine } from './types.ts';
import { diffError, findFileStart, HUNK_HEADER_START, isFileStart, isSignature, lineNo, quote, type DiffReader } from './diff-lines.ts';
import { readFileHeader } from './diff-file-header.ts';
import { readHunk } from './diff-hunk.ts';

export { findFileStart, HUNK_HEADER_START, isFileStart, isSignature, lineNo, quote, type DiffReader } from './diff-lines.ts';

/**
 * Reads one file's diff starting at i (a `diff --git` line or a `---`/`+++` pair),
 * with its hunks. Returns the index after the last hunk.
 */
function readFile(r: DiffReader, start: number, end: number): { file: FilePatch; next: number } {
  const { lines } = r;
  const { file, meta, next } = readFileHeader(r, start, end);
  let i = next;
  let delta = 0;
  while (i < end) {
    const l = lines[i]!;
    if (l.startsWith('@@')) {
      const { hunk, next } = readHunk(r, file, i, end, delta);
      file.hunks.push(hunk);
      delta += (hunk.declared?.newLines ?? hunk.newLines) - (hunk.declared?.oldLines ?? hunk.oldLines);
      i = next;
      // A hunk line right after a complete hunk: the header undercounts, never drop it silently.
      const n = lines[i];
      if (
        n !== undefined &&
        i < end &&
        /^[-+ \\]/.test(n) &&
        !isFileStart(lines, i, end) &&
        !isSignature(lines, i, end)
      ) {
        throw diffError(
          r,
          i,
          `line ${lineNo(r, i)} looks like part of hunk ${hunk.index} of ${file.newPath} (@@ at line ${hunk.headerLine}) but that hunk is complete per its header: the counts are too small or lines were added`,
        );
      }
      continue;
    }
    if (l === '') {
      // Blank lines between hunks are tolerated; anything else ends this file.
      let k = i;
      while (k < end && lines[k] === '') k++;
      if (k < end && lines[k]!.startsWith('@@') && file.hunks.length > 0) {
        i = k;
        continue;
      }
    }
    break;
  }
  if (file.hunks.length === 0 && !meta) {
    const what = i < end ? `line ${lineNo(r, i)} is ${quote(lines[i]!, 50)}` : 'the patch ends';
    throw diffError(r, start, `diff header for ${file.newPath} at line ${lineNo(r, start)} has no hunks: ${what}`);
  }
  markWhitespaceDamage(r, file);
  return { file, next: i };
}

/**
 * Kernel C is tab-indented. A context or removed line indented with spaces, in a file whose
 * other lines use tabs, was most likely tab-expanded in transit: flag it so that apply may
 * match it ignoring whitespace (only where that match is unique).
 */
function markWhitespaceDamage(r: DiffReader, file: FilePatch): void {
  let tabs = 0;
  const suspects: HunkLine[] = [];
  for (const h of file.hunks) {
    for (const l of h.lines) {
      if (l.text.startsWith('\t')) tabs++;
      else if (l.kind !== '+' && /^ {2,}\S/.test(l.text)) suspects.push(l);
    }
  }
  if (suspects.length === 0 || tabs < 2 * suspects.length) return;
  for (const l of suspects) l.whitespaceSuspect = true;
  r.diagnostics.push({
    severity: 'warning',
    code: 'tab-expanded',
    line: suspects[0]!.patchLine,
    message: `${suspects.length} context/removed line(s) of ${file.newPath} are indented with spaces where the rest use tabs (first at line ${suspects[0]!.patchLine}): tabs were probably expanded in transit`,
    action: 'matched ignoring whitespace when applying, only where that match is unique',
  });
}

/** Reads every file diff in [start, end), beginning at a file start. Returns the files. */
export function readDiff(r: DiffReader, start: number, end: number): FilePatch[] {
  const { lines } = r;
  const files: FilePatch[] = [];
  let i = start;
  while (i < end) {
    const { file, next } = readFile(r, i, end);
    files.push(file);
    i = next;
    while (i < end && lines[i] === '') i++;
    if (i >= end || isSignature(lines, i, end)) break;
    if (isFileStart(lines, i, end)) continue;
    const nextFile = findFileStart(lines, i, end);
    const stopAt = nextFile === -1 ? end : nextFile;
    for (let k = i; k < stopAt; k++) {
      if (isSignature(lines, k, end)) break;
      if (HUNK_HEADER_START.test(lines[k]!)) {
        throw diffError(r, k, `hunk header at line ${lineNo(r, k)} belongs to no file: the '---'/'+++' lines before it are missing or damaged`);
      }
    }
    r.diagnostics.push({
      severity: 'warning',
      code: nextFile === -1 ? 'trailing-text' : 'garbage',
      line: lineNo(r, i),
      message:
        nextFile === -1
          ? `text after the last hunk (line ${lineNo(r, i)}: ${quote(lines[i]!, 40)}) is not part of the diff`
          : `lines ${lineNo(r, i)}-${lineNo(r, nextFile - 1)} between file diffs are not part of the diff`,
      action: 'ignored',
    });
    if (nextFile === -1) break;
    i = nextFile;
  }
  return files;
}
