/**
 * The lines of a patch's diff part as the diff reader walks them: where each one is in the
 * patch file, how to show one in a message, and which lines start a file or a signature.
 */
import { badInput, type PeerpropError } from '../core/errors.ts';
import type { PatchDiagnostic } from './types.ts';

export interface DiffReader {
  lines: readonly string[];
  source: string;
  /** False when the patch file does not end with a newline (it was probably cut). */
  finalNewline: boolean;
  diagnostics: PatchDiagnostic[];
  /** Patch lines (1-based) of empty lines read as blank context. */
  trimmedBlankLines: number[];
  /**
   * Patch file line (1-based) of each entry of `lines`, when they are not the file's own lines
   * (a mail body decoded from quoted-printable or base64). Absent: line i is patch line i + 1.
   */
  origin?: readonly number[];
}

/** The patch file line (1-based) of lines[index]. */
export function lineNo(r: DiffReader, index: number): number {
  const i = Math.min(Math.max(index, 0), Math.max(r.lines.length - 1, 0));
  return r.origin ? r.origin[i] ?? i + 1 : i + 1;
}

/** The one-line bad-input error at lines[index]. */
export function diffError(r: DiffReader, index: number, message: string, column = 1): PeerpropError {
  return badInput(message, { file: r.source, line: lineNo(r, index), column });
}

/** A well-formed hunk header start, to spot hunks that lost their file header. */
export const HUNK_HEADER_START = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/;

/** Shows a patch line in a one-line message: quoted, escaped, shortened. */
export function quote(text: string, max = 72): string {
  const s = text.length > max ? text.slice(0, max - 1) + '…' : text;
  return JSON.stringify(s);
}

export function isFileStart(lines: readonly string[], i: number, end: number): boolean {
  const l = lines[i];
  if (l === undefined) return false;
  if (l.startsWith('diff --git ')) return true;
  return l.startsWith('--- ') && i + 1 < end && lines[i + 1]!.startsWith('+++ ');
}

export function findFileStart(lines: readonly string[], from: number, end: number): number {
  for (let i = from; i < end; i++) if (isFileStart(lines, i, end)) return i;
  return -1;
}

/** The "-- " line git format-patch puts before its version signature (or "--" once trimmed). */
export function isSignature(lines: readonly string[], i: number, end: number): boolean {
  const l = lines[i];
  if (l !== '-- ' && l !== '--') return false;
  const next = lines[i + 1];
  return i + 1 >= end || next === '' || /^\d+(\.\d+)+/.test(next!);
}

/** From i on there is nothing but blank lines and, possibly, a format-patch signature. */
export function onlyEndFollows(lines: readonly string[], i: number, end: number): boolean {
  for (let k = i; k < end; k++) {
    if (lines[k] === '') continue;
    return isSignature(lines, k, end);
  }
  return true;
}
