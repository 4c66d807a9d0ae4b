/**
 * Review without a tree: each hunk's pre-image and post-image fragments rebuilt from the hunk
 * alone, with their line numbers (per the hunk header) and the patch line of every line.
 */
import type { AppliedFile, FilePatch, Hunk, HunkLine } from './types.ts';

/** One side of a hunk as text: what the file looked like there, with its 1-based line numbers. */
export interface ImageFragment {
  /** First line number of the fragment in its image (per hunk header). */
  start: number;
  /** The lines (no terminators). */
  lines: string[];
  /** Image line number of each entry of `lines`. */
  lineNumbers: number[];
  /** Patch file line of each entry of `lines`. */
  patchLines: number[];
  /** Whether each line is changed on this side ('-' in pre, '+' in post) rather than context. */
  changed: boolean[];
  /** lines joined with '\n' (with a final '\n' when not empty). */
  text: string;
}

export interface HunkImage {
  hunk: number;
  section: string;
  headerLine: number;
  pre: ImageFragment;
  post: ImageFragment;
}

function fragment(lines: HunkLine[], side: 'old' | 'new', start: number): ImageFragment {
  const f: ImageFragment = { start, lines: [], lineNumbers: [], patchLines: [], changed: [], text: '' };
  for (const l of lines) {
    const n = side === 'old' ? l.oldLine : l.newLine;
    if (n === undefined) continue;
    f.lines.push(l.text);
    f.lineNumbers.push(n);
    f.patchLines.push(l.patchLine);
    f.changed.push(l.kind !== ' ');
  }
  f.text = f.lines.length > 0 ? f.lines.join('\n') + '\n' : '';
  return f;
}

/** Pre-image / post-image fragments of every hunk of a file, in order. */
export function hunkImages(file: FilePatch): HunkImage[] {
  return file.hunks.map((h) => ({
    hunk: h.index,
    section: h.section,
    headerLine: h.headerLine,
    pre: fragment(h.lines, 'old', h.oldStart),
    post: fragment(h.lines, 'new', h.newStart),
  }));
}

/**
 * Where a hunk line landed once applied: its 1-based line in the post-image ('+' and ' ' lines)
 * or in the pre-image ('-' lines), taking the hunk's offset into account. Undefined when the
 * hunk is not among the applied ones. `applied` is the AppliedFile of the FilePatch holding `hunk`.
 */
export function appliedLineOf(applied: AppliedFile, hunk: Hunk, line: HunkLine): { side: 'pre' | 'post'; line: number } | undefined {
  const a = applied.hunks.find((h) => h.index === hunk.index && (h.headerLine === undefined || h.headerLine === hunk.headerLine));
  if (!a) return undefined;
  if (line.kind === '-') return line.oldLine === undefined ? undefined : { side: 'pre', line: a.appliedLine + (line.oldLine - hunk.oldStart) };
  if (line.newLine === undefined || a.appliedNewLine === undefined) return undefined;
  return { side: 'post', line: a.appliedNewLine + (line.newLine - hunk.newStart) };
}
