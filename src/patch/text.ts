/**
 * Raw patch text → lines: refuses empty and binary input, normalises CRLF (reported once),
 * and remembers whether the file ended with a newline (a cut file usually does not).
 */
import { badInput } from '../core/errors.ts';
import type { PatchDiagnostic } from './types.ts';

export interface PatchLines {
  /** Lines without terminators; index i is patch line i + 1. */
  lines: string[];
  finalNewline: boolean;
  diagnostics: PatchDiagnostic[];
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Control characters that never occur in a text patch (tab, LF, CR, FF, VT and ESC can). */
const CONTROL = /[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]/g;

/** Index of the first control character when they make up more than 1% of the text, else -1. */
export function binaryLikeOffset(text: string): number {
  const matches = text.match(CONTROL);
  if (!matches || matches.length * 100 <= text.length) return -1;
  return text.search(CONTROL);
}

export function splitPatchText(text: string, source: string): PatchLines {
  if (text.length === 0) throw badInput('empty patch: the file has no content', { file: source, line: 1, column: 1 });
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const at = positionOf(text, nul);
    throw badInput('binary input, not a text patch (NUL byte)', { file: source, ...at });
  }
  if (text.trim().length === 0) {
    throw badInput('empty patch: the file holds only blank lines', { file: source, line: 1, column: 1 });
  }
  const diagnostics: PatchDiagnostic[] = [];
  if (text.charCodeAt(0) === 0xfeff) {
    // A byte-order mark from a Windows editor would hide the first header line.
    text = text.slice(1);
    diagnostics.push({ severity: 'repaired', code: 'bom', line: 1, column: 1, message: 'the file starts with a byte-order mark', action: 'ignored' });
  }
  const crlf = text.indexOf('\r\n');
  if (crlf !== -1) {
    const total = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    const count = text.split('\r\n').length - 1;
    const { line } = positionOf(text, crlf);
    diagnostics.push({
      severity: 'repaired',
      code: 'crlf',
      line,
      message: `CRLF line endings (${count} of ${total} lines${count < total ? ', mixed' : ''}, first at line ${line})`,
      action: 'converted to LF; the pre-image keeps its own line endings when applied',
    });
    text = text.replace(/\r\n/g, '\n');
  }
  const finalNewline = text.endsWith('\n');
  const lines = text.split('\n');
  if (finalNewline) lines.pop();
  return { lines, finalNewline, diagnostics };
}
