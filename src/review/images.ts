/**
 * The two sides (pre-image, post-image) of one patched file, as C text to parse plus
 * the line maps a review needs: source row -> image line, image line -> patch line,
 * and which image lines the patch changes.
 *
 * With a tree the sides are the whole files. Without one they are rebuilt from the
 * hunks alone ("sparse" images): fragments are joined in order and, where a fragment
 * starts or ends inside a function or a comment, a few synthetic lines keep the
 * syntax tree honest (a function cut at a hunk edge gets the header git printed after
 * @@, or a placeholder name) instead of gluing two unrelated functions together.
 */
import type { AppliedFile, FilePatch, Hunk, HunkLine } from '../patch/types.ts';

/** Placeholder for a function whose header is not in the patch. */
export const HIDDEN_PREFIX = '__peerprop_hidden_';

export interface SideImage {
  /** C text to parse. */
  text: string;
  /** Image line of each row of `text` (1-based rows); synthetic rows map to a neighbour. */
  mapLine: (row: number) => number;
  /** Image line -> patch line, for lines that appear in the hunks. */
  patchLineOf: Map<number, number>;
  /** Image lines the patch changes on this side ('-' lines on pre, '+' lines on post). */
  changed: Set<number>;
  /** Post side: image lines in front of which the patch deleted something. */
  deletionPoints: Set<number>;
  /** Image line ranges that are not available (between hunks). Empty for a whole file. */
  gaps: { from: number; to: number }[];
  complete: boolean;
}

interface Row {
  text: string;
  line?: number;
  patchLine?: number;
}

const sideLines = (h: Hunk, side: 'pre' | 'post'): HunkLine[] => h.lines.filter((l) => (side === 'pre' ? l.kind !== '+' : l.kind !== '-'));

function sideStart(h: Hunk, side: 'pre' | 'post'): number {
  return side === 'pre' ? h.oldStart : h.newStart;
}

function lineOf(l: HunkLine, side: 'pre' | 'post'): number | undefined {
  return side === 'pre' ? l.oldLine : l.newLine;
}

/** Comment state of a fragment: does it start inside a block comment, does it end inside one? */
function commentState(lines: string[]): { startsInside: boolean; endsInside: boolean } {
  let inside = false;
  let startsInside = false;
  let seenAny = false;
  for (const line of lines) {
    let i = 0;
    while (i < line.length) {
      if (!inside && line.startsWith('//', i)) break;
      if (!inside && line.startsWith('/*', i)) {
        inside = true;
        seenAny = true;
        i += 2;
      } else if (line.startsWith('*/', i)) {
        if (!inside && !seenAny) startsInside = true;
        inside = false;
        seenAny = true;
        i += 2;
      } else i++;
    }
  }
  return { startsInside, endsInside: inside };
}

/**
 * Kernel style: a definition's body opens with `{` and closes with `}` at column 0.
 * endsInside is undefined when the fragment has neither (it says nothing either way).
 */
function functionEdges(lines: string[]): { startsInside: boolean; endsInside: boolean | undefined } {
  let startsInside = false;
  let last: 'open' | 'close' | undefined;
  for (const l of lines) {
    if (/^\{\s*$/.test(l)) last = 'open';
    else if (/^\}\s*(\/\*.*)?$/.test(l)) {
      if (last === undefined) startsInside = true;
      last = 'close';
    }
  }
  return { startsInside, endsInside: last === undefined ? undefined : last === 'open' };
}

const looksLikeHeader = (section: string): boolean => /^[A-Za-z_][\w\s*,()[\]]*\([^;{]*\)\s*$/.test(section.trim());

function sectionName(section: string): string | undefined {
  return /([A-Za-z_]\w*)\s*\(/.exec(section)?.[1];
}

function openedName(lines: string[]): string | undefined {
  // The header of the last function opened in the fragment: the line(s) before its `{`.
  for (let i = lines.length - 1; i > 0; i--) {
    if (/^\{\s*$/.test(lines[i]!)) {
      for (let j = i - 1; j >= 0 && j >= i - 6; j--) {
        const m = /^[A-Za-z_].*?([A-Za-z_]\w*)\s*\(/.exec(lines[j]!);
        if (m) return m[1];
      }
      return undefined;
    }
  }
  return undefined;
}

/** A side rebuilt from hunks only. */
export function sparseSide(file: FilePatch, side: 'pre' | 'post'): SideImage {
  const rows: Row[] = [];
  const patchLineOf = new Map<number, number>();
  const changed = new Set<number>();
  const deletionPoints = new Set<number>();
  const gaps: { from: number; to: number }[] = [];
  let prevEnd = 0;
  let prevLines: string[] = [];
  let prevEndsInFunction = false;
  let prevOpened: string | undefined;

  file.hunks.forEach((h, idx) => {
    const lines = sideLines(h, side);
    const texts = lines.map((l) => l.text);
    const start = lineOf(lines[0] ?? h.lines[0]!, side) ?? sideStart(h, side);
    const edges = functionEdges(texts);
    const comments = commentState(texts);
    if (idx > 0 && start > prevEnd + 1) gaps.push({ from: prevEnd + 1, to: start - 1 });
    if (idx > 0 && commentState(prevLines).endsInside) rows.push({ text: ' */' });
    const startsInside = edges.startsInside || (edges.endsInside === undefined && idx > 0 && prevEndsInFunction);
    const sectionOk = !h.section || !looksLikeHeader(h.section) || sectionName(h.section) === prevOpened;
    const sameFunction = idx > 0 && prevEndsInFunction && startsInside && sectionOk;
    if (idx > 0 && prevEndsInFunction && !sameFunction) rows.push({ text: '}' });
    let opened = sameFunction ? prevOpened : undefined;
    if (startsInside && !sameFunction) {
      const header = h.section && looksLikeHeader(h.section) ? h.section.trim() : `void ${HIDDEN_PREFIX}${start}(void)`;
      opened = sectionName(header);
      rows.push({ text: header }, { text: '{' });
    }
    if (comments.startsInside) rows.push({ text: '/*' });
    let k = 0;
    for (const l of h.lines) {
      const imageLine = lineOf(l, side) ?? sideStart(h, side) + k;
      if ((side === 'pre' && l.kind === '+') || (side === 'post' && l.kind === '-')) {
        if (side === 'post') deletionPoints.add(imageLine);
        continue;
      }
      rows.push({ text: l.text, line: imageLine, patchLine: l.patchLine });
      patchLineOf.set(imageLine, l.patchLine);
      if (l.kind !== ' ') changed.add(imageLine);
      k++;
    }
    prevEnd = start + lines.length - 1;
    prevLines = texts;
    prevEndsInFunction = edges.endsInside ?? startsInside;
    prevOpened = edges.endsInside ? openedName(texts) ?? opened : opened;
  });
  if (commentState(prevLines).endsInside) rows.push({ text: ' */' });
  if (prevEndsInFunction) rows.push({ text: '}' });
  return build(rows, patchLineOf, changed, deletionPoints, gaps, false);
}

/** A side that is a whole file (pre-image or post-image of an applied patch). */
export function wholeSide(applied: AppliedFile, hunks: Hunk[], side: 'pre' | 'post'): SideImage {
  const text = side === 'pre' ? applied.preImage : applied.postImage;
  const patchLineOf = new Map<number, number>();
  const changed = new Set<number>();
  const deletionPoints = new Set<number>();
  let delta = 0;
  hunks.forEach((h, i) => {
    const a = applied.hunks.find((x) => x.headerLine !== undefined && x.headerLine === h.headerLine) ?? applied.hunks[i];
    const preStart = a ? a.appliedLine : h.oldStart;
    const postStart = a ? a.appliedNewLine ?? a.appliedLine + delta : h.newStart;
    let pre = preStart;
    let post = postStart;
    for (const l of h.lines) {
      if (side === 'pre' && l.kind !== '+') {
        patchLineOf.set(pre, l.patchLine);
        if (l.kind === '-') changed.add(pre);
      }
      if (side === 'post') {
        if (l.kind === '-') deletionPoints.add(post);
        else {
          patchLineOf.set(post, l.patchLine);
          if (l.kind === '+') changed.add(post);
        }
      }
      if (l.kind !== '+') pre++;
      if (l.kind !== '-') post++;
    }
    delta += post - postStart - (pre - preStart);
  });
  return { text, mapLine: (r) => r, patchLineOf, changed, deletionPoints, gaps: [], complete: true };
}

function build(
  rows: Row[],
  patchLineOf: Map<number, number>,
  changed: Set<number>,
  deletionPoints: Set<number>,
  gaps: { from: number; to: number }[],
  complete: boolean,
): SideImage {
  // Synthetic rows take the line of the nearest real row before them (or after, at the top).
  const lines: number[] = [];
  let last: number | undefined;
  for (const r of rows) {
    if (r.line !== undefined) last = r.line;
    lines.push(last ?? 0);
  }
  let next: number | undefined;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i]!.line !== undefined) next = rows[i]!.line;
    if (lines[i] === 0) lines[i] = next ?? 1;
  }
  const text = rows.map((r) => r.text).join('\n') + '\n';
  return {
    text,
    mapLine: (row) => lines[Math.min(Math.max(row, 1), lines.length) - 1] ?? row,
    patchLineOf,
    changed,
    deletionPoints,
    gaps,
    complete,
  };
}
