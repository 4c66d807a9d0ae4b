/** A hunk's `@@ -a,b +c,d @@ section` line: read, checked against the hunks before it, diagnosed. */
import type { FilePatch } from './types.ts';
import { diffError, lineNo, quote, type DiffReader } from './diff-lines.ts';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: ?(.*))?$/;
/** Beyond this a line number is not a line number (also keeps arithmetic exact). */
const MAX_LINE_NUMBER = 100_000_000;

export interface HunkHeader {
  /** 1-based index of the hunk in its file. */
  index: number;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the closing @@ (usually the enclosing function). */
  section: string;
}

/**
 * The header at lines[i] of the next hunk of `file`. `cumulativeDelta` is what the earlier
 * hunks added (post minus pre lines): a post-image start that does not follow is a warning.
 */
export function readHunkHeader(r: DiffReader, file: FilePatch, i: number, cumulativeDelta: number): HunkHeader {
  const header = r.lines[i]!;
  const m = HUNK_HEADER.exec(header);
  if (!m) {
    const { column, what } = diagnoseHunkHeader(header);
    throw diffError(r, i, `bad hunk header ${quote(header, 60)}: ${what}`, column);
  }
  const nums = [m[1], m[2] ?? '1', m[3], m[4] ?? '1'].map(Number) as [number, number, number, number];
  const [oldStart, oldLines, newStart, newLines] = nums;
  const bad = nums.findIndex((n) => !Number.isSafeInteger(n) || n > MAX_LINE_NUMBER);
  if (bad !== -1) throw diffError(r, i, `bad hunk header ${quote(header, 60)}: number out of range`);
  if (oldLines === 0 && newLines === 0) throw diffError(r, i, `bad hunk header ${quote(header, 60)}: a hunk with no lines`);
  if (oldStart === 0 && oldLines !== 0) {
    throw diffError(r, i, `bad hunk header ${quote(header, 60)}: pre-image start 0 needs count 0`);
  }
  if (newStart === 0 && newLines !== 0) {
    throw diffError(r, i, `bad hunk header ${quote(header, 60)}: post-image start 0 needs count 0`);
  }
  const index = file.hunks.length + 1;
  const prev = file.hunks[file.hunks.length - 1];
  if (prev) {
    const prevEnd = prev.oldStart + (prev.declared?.oldLines ?? prev.oldLines);
    if (oldStart + (oldLines === 0 ? 1 : 0) < prevEnd) {
      throw diffError(
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
  return { index, oldStart, oldLines, newStart, newLines, section: m[5] ?? '' };
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
