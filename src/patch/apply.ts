/**
 * Applies one file's hunks to a pre-image in memory, like GNU patch: each hunk at its line or at
 * the nearest offset (searching outward), optionally with fuzz (outer context lines ignored),
 * hunks in order with the offset carried over. The pre-image's line endings and final newline
 * are kept. A hunk that matches nowhere is an error naming the hunk, its patch line and the
 * first mismatching line (expected vs found).
 */
import { PeerpropError, ExitCode, type SourceLocation } from '../core/errors.ts';
import { quote } from './diff.ts';
import type { AppliedFile, FilePatch, Hunk, HunkLine, PatchDiagnostic } from './types.ts';

export interface ApplyOptions {
  /** Max outer context lines that may be ignored per side (GNU patch fuzz), 0..2; default 0 (exact context). */
  fuzz?: number;
  /**
   * Match context ignoring whitespace when the exact match fails and the match is unique:
   * 'damaged' (default) only for files whose patch shows whitespace damage (tab-expanded or
   * trimmed lines, flagged by the reader),
   * 'always', or 'never'.
   */
  whitespace?: 'damaged' | 'always' | 'never';
  /** Patch file name for error locations (errors point at patch lines). Default 'patch'. */
  source?: string;
  /** Path reported in AppliedFile.path and messages (default: newPath, or oldPath for a deletion). */
  path?: string;
}

/** A hunk that does not apply: exit 2, located at the patch line of the first mismatching hunk line. */
export class PatchApplyError extends PeerpropError {
  constructor(
    message: string,
    location: SourceLocation,
    /** 1-based hunk number within its file. */
    readonly hunk: number,
    /** Expected (patch) and found (pre-image) text of the first mismatching line. */
    readonly expected?: string,
    readonly found?: string,
    /** 1-based pre-image line of the first mismatch. */
    readonly preImageLine?: number,
  ) {
    super(message, ExitCode.BadInput, location);
    this.name = 'PatchApplyError';
  }
}

interface ImageLine {
  text: string;
  eol: string;
}

/** Splits a file into lines with their own terminators ('' for a last line without newline). */
export function splitImage(s: string): { lines: ImageLine[]; eol: string } {
  const lines: ImageLine[] = [];
  let crlf = 0;
  let lf = 0;
  let start = 0;
  while (start < s.length) {
    const nl = s.indexOf('\n', start);
    if (nl === -1) {
      lines.push({ text: s.slice(start), eol: '' });
      break;
    }
    if (nl > start && s.charCodeAt(nl - 1) === 13) {
      lines.push({ text: s.slice(start, nl - 1), eol: '\r\n' });
      crlf++;
    } else {
      lines.push({ text: s.slice(start, nl), eol: '\n' });
      lf++;
    }
    start = nl + 1;
  }
  return { lines, eol: crlf > lf ? '\r\n' : '\n' };
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Placement {
  /** 0-based pre-image index where the hunk's full old side starts. */
  pos: number;
  fuzz: number;
  dropFront: number;
  dropBack: number;
  ws: boolean;
}

function outerContext(h: Hunk): { lead: number; trail: number } {
  let lead = 0;
  while (lead < h.lines.length && h.lines[lead]!.kind === ' ') lead++;
  let trail = 0;
  while (trail < h.lines.length - lead && h.lines[h.lines.length - 1 - trail]!.kind === ' ') trail++;
  return { lead, trail };
}

/** True when old[from, old.length - dropBack) matches pre at pos + from. */
function matches(pre: ImageLine[], old: HunkLine[], pos: number, dropFront: number, dropBack: number, ws: boolean): boolean {
  for (let k = dropFront; k < old.length - dropBack; k++) {
    const p = pre[pos + k];
    if (!p) return false;
    const t = old[k]!.text;
    if (p.text !== t && !(ws && squash(p.text) === squash(t))) return false;
  }
  return true;
}

/** Candidate positions from `expected` outward: 0, +1, -1, +2, -2, ... within [lo, hi]. */
function* outward(expected: number, lo: number, hi: number): Generator<number> {
  const e = Math.min(Math.max(expected, lo), hi);
  for (let d = 0; e - d >= lo || e + d <= hi; d++) {
    if (e + d <= hi) yield e + d;
    if (d > 0 && e - d >= lo) yield e - d;
  }
}

function place(
  pre: ImageLine[],
  hunk: Hunk,
  old: HunkLine[],
  expected: number,
  minPos: number,
  maxFuzz: number,
  wsAllowed: boolean,
): Placement | undefined {
  const { lead, trail } = outerContext(hunk);
  const tryLevel = (fuzz: number, ws: boolean): Placement | undefined => {
    const dropFront = Math.min(fuzz, lead);
    const dropBack = Math.min(fuzz, trail);
    const lo = minPos - dropFront;
    const hi = pre.length - old.length + dropBack;
    if (hi < lo) return undefined;
    if (!ws) {
      for (const pos of outward(expected, lo, hi)) {
        if (matches(pre, old, pos, dropFront, dropBack, false)) return { pos, fuzz, dropFront, dropBack, ws };
      }
      return undefined;
    }
    // Ignoring whitespace only when unambiguous: exactly one position in the whole range.
    let found: Placement | undefined;
    for (let pos = lo; pos <= hi; pos++) {
      if (matches(pre, old, pos, dropFront, dropBack, true)) {
        if (found) return undefined;
        found = { pos, fuzz, dropFront, dropBack, ws };
      }
    }
    return found;
  };
  return (
    tryLevel(0, false) ??
    (wsAllowed ? tryLevel(0, true) : undefined) ??
    (maxFuzz >= 1 ? tryLevel(1, false) : undefined) ??
    (maxFuzz >= 2 ? tryLevel(2, false) : undefined)
  );
}

/** The error for a hunk that matches nowhere: the best-matching position's first mismatch. */
function mismatchError(
  pre: ImageLine[],
  hunk: Hunk,
  old: HunkLine[],
  expected: number,
  minPos: number,
  path: string,
  source: string,
): PatchApplyError {
  let best = { pos: Math.min(Math.max(expected, minPos), Math.max(pre.length - 1, minPos)), score: -1 };
  const hi = Math.max(minPos, pre.length - 1);
  for (const pos of outward(expected, minPos, hi)) {
    let score = 0;
    for (let k = 0; k < old.length; k++) if (pre[pos + k]?.text === old[k]!.text) score++;
    if (score > best.score) best = { pos, score };
  }
  let k = 0;
  while (k < old.length && pre[best.pos + k]?.text === old[k]!.text) k++;
  const bad = old[Math.min(k, old.length - 1)]!;
  const preIndex = best.pos + k;
  const found = pre[preIndex];
  const header = `-${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines}`;
  const where =
    found === undefined
      ? `but ${path} ends at line ${pre.length}`
      : `but ${path}:${preIndex + 1} has ${quote(found.text, 60)}`;
  const offset = best.pos - expected;
  return new PatchApplyError(
    `hunk ${hunk.index} of ${path} (@@ ${header} @@ at line ${hunk.headerLine}) does not apply: ` +
      `patch line ${bad.patchLine} expects ${quote(bad.text, 60)} ${where}` +
      (offset !== 0 ? ` (closest match at offset ${offset > 0 ? '+' : ''}${offset}, ${best.score} of ${old.length} lines equal)` : ` (${best.score} of ${old.length} lines equal)`),
    { file: source, line: bad.patchLine, column: 1 },
    hunk.index,
    bad.text,
    found?.text,
    found === undefined ? undefined : preIndex + 1,
  );
}

/** Applies every hunk of `file` to `preImage` in memory. Throws PatchApplyError when a hunk matches nowhere. */
export function applyFilePatch(file: FilePatch, preImage: string, opts: ApplyOptions = {}): AppliedFile {
  const path = opts.path ?? (file.newPath === '/dev/null' ? file.oldPath : file.newPath);
  const source = opts.source ?? 'patch';
  const maxFuzz = Math.max(0, Math.min(2, Math.floor(opts.fuzz ?? 0)));
  if (file.binary) {
    throw new PatchApplyError(`binary diff of ${path} cannot be applied by peerprop`, { file: source, line: file.headerLine, column: 1 }, 0);
  }
  const { lines: pre, eol } = splitImage(preImage);
  const out: ImageLine[] = [];
  const result: AppliedFile = { path, preImage, postImage: '', hunks: [] };
  if (file.oldPath !== path) result.oldPath = file.oldPath;
  const diagnostics: PatchDiagnostic[] = [];
  // Whitespace damage is a property of the whole file (a mailer or editor treated every line).
  const wsMode = opts.whitespace ?? 'damaged';
  const wsAllowed =
    wsMode === 'always' ||
    (wsMode === 'damaged' && file.hunks.some((h) => h.lines.some((l) => l.whitespaceSuspect || l.trimmedBlank)));
  let cursor = 0; // next pre-image line not yet copied
  let lastOffset = 0;
  for (const hunk of file.hunks) {
    const old = hunk.lines.filter((l) => l.kind !== '+');
    const expected = (hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1) + lastOffset;
    let placement: Placement | undefined;
    if (old.length === 0) {
      if (hunk.oldStart > pre.length) {
        throw new PatchApplyError(
          `hunk ${hunk.index} of ${path} (at line ${hunk.headerLine}) inserts after line ${hunk.oldStart} but ${path} has ${pre.length} lines`,
          { file: source, line: hunk.headerLine, column: 1 },
          hunk.index,
        );
      }
      placement = { pos: Math.min(Math.max(expected, cursor), pre.length), fuzz: 0, dropFront: 0, dropBack: 0, ws: false };
    } else {
      placement = place(pre, hunk, old, expected, cursor, maxFuzz, wsAllowed);
    }
    if (!placement) throw mismatchError(pre, hunk, old, expected, cursor, path, source);
    const { pos, dropFront, dropBack, fuzz, ws } = placement;
    for (; cursor < pos + dropFront; cursor++) out.push(pre[cursor]!);
    const newStartIndex = out.length - dropFront;
    const body = hunk.lines.slice(dropFront, hunk.lines.length - dropBack);
    for (const l of body) {
      if (l.kind === ' ') out.push(pre[cursor++]!);
      else if (l.kind === '-') cursor++;
      else out.push({ text: l.text, eol: l.noNewlineAtEnd ? '' : eol });
    }
    const offset = pos - (hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1);
    lastOffset = offset;
    result.hunks.push({
      index: hunk.index,
      expectedLine: hunk.oldStart,
      appliedLine: hunk.oldStart + offset,
      offset,
      fuzz,
      headerLine: hunk.headerLine,
      appliedNewLine: newStartIndex + 1,
      ...(ws ? { whitespaceInsensitive: true } : {}),
    });
    if (fuzz > 0) {
      diagnostics.push({
        severity: 'warning',
        code: 'fuzz',
        line: hunk.headerLine,
        message: `hunk ${hunk.index} of ${path} applied with fuzz ${fuzz} (${dropFront + dropBack} outer context line(s) ignored) at line ${hunk.oldStart + offset}`,
      });
    }
    if (ws) {
      diagnostics.push({
        severity: 'warning',
        code: 'whitespace-insensitive',
        line: hunk.headerLine,
        message: `hunk ${hunk.index} of ${path} matched ${path}:${hunk.oldStart + offset} only when ignoring whitespace (unique match); the tree's own context lines are kept`,
      });
    }
  }
  for (; cursor < pre.length; cursor++) out.push(pre[cursor]!);
  // Only the last line may lack a terminator; a line that lost it in the middle gets the file's.
  for (let k = 0; k < out.length - 1; k++) if (out[k]!.eol === '') out[k] = { text: out[k]!.text, eol };
  result.postImage = out.map((l) => l.text + l.eol).join('');
  if (diagnostics.length > 0) result.diagnostics = diagnostics;
  return result;
}
