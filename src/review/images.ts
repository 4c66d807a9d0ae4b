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

/** Where a fragment leaves the C structure: outside functions, inside one, or after a header awaiting `{`. */
type Edge = { kind: 'outside' } | { kind: 'inside'; name?: string } | { kind: 'header'; name?: string; depth: number };

const OPEN = /^\{\s*$/;
const CLOSE = /^\}\s*(\/\*.*)?$/;
/** A line that starts a definition's header (kernel style: column 0, a name and a parenthesis). */
const HEADER_START = /^[A-Za-z_][^;={}]*\b([A-Za-z_]\w*)\s*\(/;

/**
 * Kernel style: a definition's body opens with `{` and closes with `}` at column 0.
 * `first` is the first such brace of the fragment (undefined when it has none);
 * `end` is the state after its last line, when the fragment itself tells.
 */
function scanFragment(lines: string[]): { first?: 'open' | 'close'; end?: Edge } {
  let first: 'open' | 'close' | undefined;
  let end: Edge | undefined;
  let headerName: string | undefined;
  let headerOpen = false;
  let depth = 0;
  const parens = (l: string): number => [...l].reduce((d, ch) => d + (ch === '(' ? 1 : ch === ')' ? -1 : 0), 0);
  for (const l of lines) {
    if (OPEN.test(l)) {
      first ??= 'open';
      end = { kind: 'inside', ...(headerName ? { name: headerName } : {}) };
      headerOpen = false;
    } else if (CLOSE.test(l)) {
      first ??= 'close';
      end = { kind: 'outside' };
      headerName = undefined;
      headerOpen = false;
    } else if (headerOpen) {
      depth += parens(l);
      if (l.trim() === '' || (depth <= 0 && /;\s*$/.test(l))) headerOpen = false;
    } else {
      const m = HEADER_START.exec(l);
      if (m && (end === undefined || end.kind !== 'inside') && !/;\s*$/.test(l)) {
        headerName = m[1];
        headerOpen = true;
        depth = parens(l);
      }
    }
  }
  if (headerOpen && (end === undefined || end.kind !== 'inside')) end = { kind: 'header', depth: Math.max(0, depth), ...(headerName ? { name: headerName } : {}) };
  return { ...(first ? { first } : {}), ...(end ? { end } : {}) };
}

const looksLikeHeader = (section: string): boolean => /^[A-Za-z_][\w\s*,()[\]]*\(/.test(section.trim()) && !/;\s*$/.test(section);

function sectionName(section: string): string | undefined {
  return /([A-Za-z_]\w*)\s*\(/.exec(section)?.[1];
}

/** The section as a header that parses: git prints only its first line, so close an open parameter list. */
function headerFromSection(section: string): string {
  const t = section.trim();
  let depth = 0;
  for (const ch of t) depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
  return depth > 0 ? `${t.replace(/,\s*$/, '')}${')'.repeat(depth)}` : t;
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
  let state = { kind: 'outside' } as Edge;

  file.hunks.forEach((h, idx) => {
    const lines = sideLines(h, side);
    const texts = lines.map((l) => l.text);
    const start = lineOf(lines[0] ?? h.lines[0]!, side) ?? sideStart(h, side);
    const frag = scanFragment(texts);
    const comments = commentState(texts);
    const gap = idx > 0 && start > prevEnd + 1;
    if (gap) gaps.push({ from: prevEnd + 1, to: start - 1 });
    if (idx > 0 && commentState(prevLines).endsInside) rows.push({ text: ' */', line: prevEnd });

    // Which function does the fragment start in? git's section names it when it knows.
    const section = h.section && looksLikeHeader(h.section) ? sectionName(h.section) : undefined;
    const startsInside = frag.first === 'close' || (frag.first === undefined && (section !== undefined || state.kind !== 'outside'));
    const prevName = state.kind === 'outside' ? undefined : state.name;
    const continues = state.kind !== 'outside' && startsInside && (section === undefined || prevName === undefined || section === prevName);
    const firstLine = texts.find((t) => t.trim() !== '');
    const opensHere = firstLine !== undefined && OPEN.test(firstLine);
    if (state.kind === 'header') {
      // The previous fragment ended in a header: the rest of its parameter list and
      // its `{` are in the gap (or the `{` opens this fragment).
      if (state.depth > 0) {
        // `a, b,` + `)` would not parse: drop the dangling comma of the visible part.
        const last = rows[rows.length - 1];
        if (last && /,\s*$/.test(last.text)) last.text = last.text.replace(/,\s*$/, '');
        rows.push({ text: ')'.repeat(state.depth), line: prevEnd });
      }
      if (opensHere) {
        // The body starts right here.
      } else if (continues) rows.push({ text: '{', line: start });
      else rows.push({ text: '{', line: prevEnd }, { text: '}', line: prevEnd });
    } else if (state.kind === 'inside' && !continues) rows.push({ text: '}', line: prevEnd });
    let current: Edge = continues || (state.kind === 'header' && opensHere) ? { kind: 'inside', ...(prevName ? { name: prevName } : {}) } : { kind: 'outside' };
    if (startsInside && !continues && !(state.kind === 'header' && opensHere)) {
      const header = section ? headerFromSection(h.section) : `void ${HIDDEN_PREFIX}${start}(void)`;
      rows.push({ text: header, line: start }, { text: '{', line: start });
      current = { kind: 'inside', name: section ?? `${HIDDEN_PREFIX}${start}` };
    }
    if (comments.startsInside) rows.push({ text: '/*', line: start });
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
    state = frag.end ?? current;
  });
  if (commentState(prevLines).endsInside) rows.push({ text: ' */', line: prevEnd });
  if (state.kind === 'inside') rows.push({ text: '}', line: prevEnd });
  if (state.kind === 'header') rows.push({ text: `${')'.repeat(state.depth)}`, line: prevEnd }, { text: '{', line: prevEnd }, { text: '}', line: prevEnd });
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
