/**
 * The diff part of a patch → FilePatch[] with patch line numbers, and the damage diagnosis:
 * what is wrong, where, and whether the repair is unambiguous (then it is made and reported)
 * or not (then a one-line PeerpropError at file:line:col).
 *
 * Strictness is deliberate and differs from git/jsdiff: a hunk is read by its header's counts;
 * a hunk that ends early is repaired only when the file was cut inside its trailing context
 * (same number of lines missing on both sides, and as many as the context size implies);
 * a hunk line after a complete hunk is an error, never silently dropped.
 */
import { badInput, type PeerpropError } from '../core/errors.ts';
import type { FilePatch, Hunk, HunkLine, PatchDiagnostic } from './types.ts';

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

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: ?(.*))?$/;
/** A well-formed hunk header start, to spot hunks that lost their file header. */
export const HUNK_HEADER_START = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/;
/** Beyond this a line number is not a line number (also keeps arithmetic exact). */
const MAX_LINE_NUMBER = 100_000_000;

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

function error(r: DiffReader, index: number, message: string, column = 1): PeerpropError {
  return badInput(message, { file: r.source, line: lineNo(r, index), column });
}

function unquotePath(p: string): string {
  if (!(p.length >= 2 && p.startsWith('"') && p.endsWith('"'))) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      const n = body[i + 1]!;
      if (/[0-7]/.test(n)) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
        bytes.push(parseInt(oct, 8) & 0xff);
        i += oct.length;
        continue;
      }
      if (n in simple) {
        bytes.push(simple[n]!);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Path of a ---/+++ line: without the marker, a trailing timestamp (after a tab) and quotes. */
function headerPath(line: string): string {
  let p = line.slice(4);
  const tab = p.indexOf('\t');
  if (tab !== -1) p = p.slice(0, tab);
  return unquotePath(p.trimEnd());
}

/** "a/X b/Y" of a diff --git line; exact when both sides are equal (the usual case), even with spaces. */
function gitHeaderPaths(rest: string): [string, string] | undefined {
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*")\s+(.*)$/.exec(rest);
    if (m) return [unquotePath(m[1]!), unquotePath(m[2]!)];
  }
  const n = rest.length;
  if ((n - 1) % 2 === 0) {
    const half = (n - 1) / 2;
    const left = rest.slice(0, half);
    const right = rest.slice(half + 1);
    if (left.slice(2) === right.slice(2) && rest[half] === ' ') return [left, right];
  }
  const sp = rest.indexOf(' b/');
  if (sp !== -1) return [rest.slice(0, sp), rest.slice(sp + 1)];
  return undefined;
}

/** Removes git's a/ b/ prefixes, or a differing first directory (like patch -p1), never from absolute paths. */
function stripPrefixes(oldRaw: string, newRaw: string, git: boolean): [string, string] {
  const dev = '/dev/null';
  if (git || ((oldRaw === dev || oldRaw.startsWith('a/')) && (newRaw === dev || newRaw.startsWith('b/')))) {
    return [
      oldRaw !== dev && oldRaw.startsWith('a/') ? oldRaw.slice(2) : oldRaw,
      newRaw !== dev && newRaw.startsWith('b/') ? newRaw.slice(2) : newRaw,
    ];
  }
  const first = (p: string) => p.split('/')[0]!;
  const canStrip = (p: string) => p === dev || (!p.startsWith('/') && p.includes('/'));
  if (canStrip(oldRaw) && canStrip(newRaw) && oldRaw !== dev && newRaw !== dev && first(oldRaw) !== first(newRaw)) {
    return [oldRaw.slice(first(oldRaw).length + 1), newRaw.slice(first(newRaw).length + 1)];
  }
  return [oldRaw, newRaw];
}

/** Column (1-based) and reason of the first thing wrong in a line starting with "@@". */
function diagnoseHunkHeader(line: string): { column: number; what: string } {
  let p = 0;
  const lit = (s: string) => {
    if (line.startsWith(s, p)) {
      p += s.length;
      return true;
    }
    return false;
  };
  const digits = () => {
    const s = p;
    while (p < line.length && line.charCodeAt(p) >= 48 && line.charCodeAt(p) <= 57) p++;
    return p > s;
  };
  const fail = (what: string) => ({ column: p + 1, what });
  if (!lit('@@ -')) return fail("expected '@@ -'");
  if (!digits()) return fail('expected the pre-image start line number');
  if (lit(',') && !digits()) return fail('expected the pre-image line count');
  if (!lit(' +')) return fail("expected ' +' and the post-image range");
  if (!digits()) return fail('expected the post-image start line number');
  if (lit(',') && !digits()) return fail('expected the post-image line count');
  if (!lit(' @@')) return fail("expected ' @@' closing the header");
  return fail('unexpected text after the header');
}

interface HunkRead {
  hunk: Hunk;
  next: number;
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

/** From i on there is nothing but blank lines and, possibly, a format-patch signature. */
function onlyEndFollows(lines: readonly string[], i: number, end: number): boolean {
  for (let k = i; k < end; k++) {
    if (lines[k] === '') continue;
    return isSignature(lines, k, end);
  }
  return true;
}

function readHunk(r: DiffReader, file: FilePatch, i: number, end: number, cumulativeDelta: number): HunkRead {
  const { lines } = r;
  const header = lines[i]!;
  const m = HUNK_HEADER.exec(header);
  if (!m) {
    const { column, what } = diagnoseHunkHeader(header);
    throw error(r, i, `bad hunk header ${quote(header, 60)}: ${what}`, column);
  }
  const nums = [m[1], m[2] ?? '1', m[3], m[4] ?? '1'].map(Number) as [number, number, number, number];
  const [oldStart, oldLines, newStart, newLines] = nums;
  const bad = nums.findIndex((n) => !Number.isSafeInteger(n) || n > MAX_LINE_NUMBER);
  if (bad !== -1) throw error(r, i, `bad hunk header ${quote(header, 60)}: number out of range`);
  if (oldLines === 0 && newLines === 0) throw error(r, i, `bad hunk header ${quote(header, 60)}: a hunk with no lines`);
  if (oldStart === 0 && oldLines !== 0) {
    throw error(r, i, `bad hunk header ${quote(header, 60)}: pre-image start 0 needs count 0`);
  }
  if (newStart === 0 && newLines !== 0) {
    throw error(r, i, `bad hunk header ${quote(header, 60)}: post-image start 0 needs count 0`);
  }
  const index = file.hunks.length + 1;
  const prev = file.hunks[file.hunks.length - 1];
  if (prev) {
    const prevEnd = prev.oldStart + (prev.declared?.oldLines ?? prev.oldLines);
    if (oldStart + (oldLines === 0 ? 1 : 0) < prevEnd) {
      throw error(
        r,
        i,
        `hunk ${index} of ${file.newPath} starts at pre-image line ${oldStart}, before hunk ${index - 1} ends (line ${prevEnd - 1}): hunks overlap or are out of order`,
      );
    }
  }
  const oldFirst = oldLines === 0 ? oldStart + 1 : oldStart;
  const newFirst = newLines === 0 ? newStart + 1 : newStart;
  if (oldStart !== 0 && newStart !== 0 && newFirst !== oldFirst + cumulativeDelta) {
    r.diagnostics.push({
      severity: 'warning',
      code: 'hunk-start-mismatch',
      line: lineNo(r, i),
      message: `hunk ${index} of ${file.newPath}: post-image start ${newStart} does not follow from the earlier hunks (expected ${oldFirst + cumulativeDelta - (newLines === 0 ? 1 : 0)}): a hunk before it was lost or the headers were edited by hand`,
      action: 'ignored: hunks are placed by their pre-image start and context',
    });
  }

  const hunk: Hunk = { index, oldStart, oldLines, newStart, newLines, section: m[5] ?? '', headerLine: lineNo(r, i), lines: [] };
  let remOld = oldLines;
  let remNew = newLines;
  let oldNo = oldStart;
  let newNo = newStart;
  let j = i + 1;
  let stop: 'done' | 'eof' | 'other' | 'overflow-old' | 'overflow-new' = 'done';
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

  const name = `hunk ${index} of ${file.newPath} (${header.replace(/ @@.*$/, ' @@')} at line ${lineNo(r, i)})`;
  const have = `${oldLines - remOld} of ${oldLines} pre-image and ${newLines - remNew} of ${newLines} post-image lines`;
  if (stop === 'overflow-old' || stop === 'overflow-new') {
    const side = stop === 'overflow-old' ? 'pre-image' : 'post-image';
    const missing = stop === 'overflow-old' ? "'+'" : "'-'";
    throw error(
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
      return { hunk, next: j };
    }
    throw error(
      r,
      lastBody,
      `patch ends inside ${name} with ${have}: ${remOld} line(s) per side are missing and they need not be context (${trailing} trailing context line(s) present, context size ${size}); cannot repair`,
    );
  }
  if (atEnd) {
    throw error(
      r,
      lastBody,
      `patch ends inside ${name} with ${have}: changed lines are missing (${remOld} pre-image, ${remNew} post-image); cannot repair`,
    );
  }
  const found = lines[j]!;
  throw error(
    r,
    j,
    `${name} ends early at ${quote(found, 50)} with ${have}: ` +
      (remOld === remNew ? `${remOld} line(s) per side are missing inside the patch` : 'the counts differ from the lines present'),
  );
}

/**
 * Reads one file's diff starting at i (a `diff --git` line or a `---`/`+++` pair),
 * with its hunks. Returns the index after the last hunk.
 */
function readFile(r: DiffReader, i: number, end: number): { file: FilePatch; next: number } {
  const { lines } = r;
  const start = i;
  let git = false;
  let gitPaths: [string, string] | undefined;
  const file: FilePatch = { oldPath: '', newPath: '', headerLine: lineNo(r, i), hunks: [] };
  let meta = false; // mode change, rename, copy, binary, new/deleted file: valid without hunks
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
      throw error(r, i + 1, `file header '---' at line ${lineNo(r, i)} is not followed by a '+++' line`);
    }
    oldRaw = headerPath(lines[i]!);
    newRaw = headerPath(lines[i + 1]!);
    i += 2;
  } else if (git && !meta) {
    const what = i < end ? `line ${lineNo(r, i)} is ${quote(lines[i]!, 50)}` : 'the patch ends';
    throw error(
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
  if (!file.oldPath || !file.newPath) throw error(r, start, `diff header at line ${lineNo(r, start)} names no file`);
  if (file.newPath === '/dev/null' && file.oldPath === '/dev/null') {
    throw error(r, start, `diff header at line ${lineNo(r, start)}: both sides are /dev/null`);
  }

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
        throw error(
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
    throw error(r, start, `diff header for ${file.newPath} at line ${lineNo(r, start)} has no hunks: ${what}`);
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
        throw error(r, k, `hunk header at line ${lineNo(r, k)} belongs to no file: the '---'/'+++' lines before it are missing or damaged`);
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
