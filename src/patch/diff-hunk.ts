/**
 * One hunk: its header, then as many lines as the header counts. A hunk that ends early is
 * repaired only when the file was cut inside its trailing context (same number of lines missing
 * on both sides, and as many as the context size implies); anything else is an error at the
 * line where it shows.
 */
import type { FilePatch, Hunk, HunkLine } from './types.ts';
import { diffError, isFileStart, isSignature, lineNo, onlyEndFollows, quote, type DiffReader } from './diff-lines.ts';
import { readHunkHeader } from './diff-hunk-header.ts';

/** Why reading a hunk's lines stopped ('done': every counted line was read). */
type Stop = 'done' | 'eof' | 'other' | 'overflow-old' | 'overflow-new';

/** Reads the hunk whose header is lines[i]; `next` is the index after it. */
export function readHunk(r: DiffReader, file: FilePatch, i: number, end: number, cumulativeDelta: number): { hunk: Hunk; next: number } {
  const { lines } = r;
  const { index, oldStart, oldLines, newStart, newLines, section } = readHunkHeader(r, file, i, cumulativeDelta);
  const hunk: Hunk = { index, oldStart, oldLines, newStart, newLines, section, headerLine: lineNo(r, i), lines: [] };
  let remOld = oldLines;
  let remNew = newLines;
  let oldNo = oldStart;
  let newNo = newStart;
  let j = i + 1;
  let stop: Stop = 'done';
  const push = (kind: HunkLine['kind'], text: string, trimmedBlank = false) => {
    const hl: HunkLine = {
      kind,
      text,
      patchLine: lineNo(r, j),
      oldLine: kind !== '+' ? oldNo++ : undefined,
      newLine: kind !== '-' ? newNo++ : undefined,
    };
    if (trimmedBlank) hl.trimmedBlank = true;
    hunk.lines.push(hl);
  };
  const marker = () => {
    const last = hunk.lines[hunk.lines.length - 1];
    if (last) last.noNewlineAtEnd = true;
    else {
      r.diagnostics.push({
        severity: 'warning',
        code: 'stray-no-newline-marker',
        line: lineNo(r, j),
        message: `${quote(lines[j]!, 40)} follows no hunk line`,
        action: 'ignored',
      });
    }
  };
  while (remOld > 0 || remNew > 0) {
    if (j >= end) {
      stop = 'eof';
      break;
    }
    const l = lines[j]!;
    if (l === '') {
      if (remOld > 0 && remNew > 0) {
        push(' ', '', true);
        r.trimmedBlankLines.push(lineNo(r, j));
        remOld--;
        remNew--;
        j++;
        continue;
      }
      stop = 'other';
      break;
    }
    const c = l[0];
    if (c === '\\') {
      marker();
      j++;
      continue;
    }
    if (c === ' ') {
      if (remOld > 0 && remNew > 0) {
        push(' ', l.slice(1));
        remOld--;
        remNew--;
      } else {
        stop = remOld === 0 ? 'overflow-old' : 'overflow-new';
        break;
      }
    } else if (c === '-') {
      if (isFileStart(lines, j, end) || isSignature(lines, j, end)) {
        stop = 'other';
        break;
      }
      if (remOld === 0) {
        stop = 'overflow-old';
        break;
      }
      push('-', l.slice(1));
      remOld--;
    } else if (c === '+') {
      if (remNew === 0) {
        stop = 'overflow-new';
        break;
      }
      push('+', l.slice(1));
      remNew--;
    } else {
      stop = 'other';
      break;
    }
    j++;
  }
  if (stop === 'done' && j < end && lines[j]!.startsWith('\\')) {
    marker();
    j++;
  }
  if (stop === 'done') return { hunk, next: j };
  endedEarly(r, file, hunk, { i, j, end, stop, remOld, remNew });
  return { hunk, next: j };
}

/**
 * A hunk whose lines stopped before its counts were met (at lines[j]; its header at lines[i]):
 * repaired in place (counts reduced, diagnostic added) when only trailing context was lost at
 * the end of the patch, else the error that says what is missing.
 */
function endedEarly(
  r: DiffReader,
  file: FilePatch,
  hunk: Hunk,
  at: { i: number; j: number; end: number; stop: Exclude<Stop, 'done'>; remOld: number; remNew: number },
): void {
  const { lines } = r;
  const { i, j, end, stop, remOld, remNew } = at;
  const { index, oldStart, oldLines, newStart, newLines } = hunk;
  const header = lines[i]!;
  const name = `hunk ${index} of ${file.newPath} (${header.replace(/ @@.*$/, ' @@')} at line ${lineNo(r, i)})`;
  const have = `${oldLines - remOld} of ${oldLines} pre-image and ${newLines - remNew} of ${newLines} post-image lines`;
  if (stop === 'overflow-old' || stop === 'overflow-new') {
    const side = stop === 'overflow-old' ? 'pre-image' : 'post-image';
    const missing = stop === 'overflow-old' ? "'+'" : "'-'";
    throw diffError(
      r,
      j,
      `${name} already has all its ${side} lines at this line but ${remOld > 0 ? remOld : remNew} more ${stop === 'overflow-old' ? 'post-image' : 'pre-image'} line(s) are due: a ${missing} line is missing or the header counts are wrong`,
    );
  }
  const lastBody = j - 1; // index of the last line consumed (the header when the hunk is empty)
  const atEnd = stop === 'eof' || onlyEndFollows(lines, j, end);
  if (remOld === remNew && atEnd && hunk.lines.length > 0) {
    let trailing = 0;
    for (let k = hunk.lines.length - 1; k >= 0 && hunk.lines[k]!.kind === ' '; k--) trailing++;
    const size = contextSize(hunk, file.hunks);
    if (trailing + remOld === size && hunk.lines.some((l) => l.kind !== ' ')) {
      const cut = stop === 'eof' && !r.finalNewline;
      hunk.declared = { oldLines, newLines };
      hunk.oldLines = oldLines - remOld;
      hunk.newLines = newLines - remNew;
      r.diagnostics.push({
        severity: 'repaired',
        code: 'missing-trailing-context',
        line: lineNo(r, lastBody),
        message:
          `${name} ends at line ${lineNo(r, lastBody)} with ${have}: ` +
          (remOld === 1 ? 'its last trailing context line is missing' : `its last ${remOld} trailing context lines are missing`) +
          (cut ? ' and the file has no final newline (cut, or a blank context line lost to whitespace trimming)' : ''),
        action: `counts reduced to -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines}; only context (${trailing} of ${size} lines kept) was lost, the change itself is complete`,
      });
      return;
    }
    throw diffError(
      r,
      lastBody,
      `patch ends inside ${name} with ${have}: ${remOld} line(s) per side are missing and they need not be context (${trailing} trailing context line(s) present, context size ${size}); cannot repair`,
    );
  }
  if (atEnd) {
    throw diffError(
      r,
      lastBody,
      `patch ends inside ${name} with ${have}: changed lines are missing (${remOld} pre-image, ${remNew} post-image); cannot repair`,
    );
  }
  const found = lines[j]!;
  throw diffError(
    r,
    j,
    `${name} ends early at ${quote(found, 50)} with ${have}: ` +
      (remOld === remNew ? `${remOld} line(s) per side are missing inside the patch` : 'the counts differ from the lines present'),
  );
}

/** The context size the diff was made with: leading context of a hunk not at the top of the file. */
function contextSize(current: Hunk, previous: readonly Hunk[]): number {
  const lead = (h: Hunk) => {
    let n = 0;
    while (n < h.lines.length && h.lines[n]!.kind === ' ') n++;
    return n;
  };
  const hasChange = (h: Hunk) => h.lines.some((l) => l.kind !== ' ');
  if (current.oldStart > 1 && hasChange(current)) return lead(current);
  const others = previous.filter((h) => h.oldStart > 1 && hasChange(h)).map(lead);
  return others.length > 0 ? Math.max(...others) : 3;
}
