/**
 * readPatch: a patch as it really arrives (plain diff, a commit message + diff, git format-patch,
 * an mbox series, `git show` output, a message with no diff) → PatchSet with metadata,
 * files, hunks and the damage diagnosis.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '../core/errors.ts';
import { cleanSubject, looksLikeHeaders, parseTrailers, readHeaders } from './headers.ts';
import { findFileStart, HUNK_HEADER_START, isSignature, lineNo, quote, readDiff, type DiffReader } from './diff.ts';
import { binaryLikeOffset, positionOf, splitPatchText } from './text.ts';
import { decodeBody, transferEncoding } from './mime.ts';
import type { FilePatch, PatchCommit, PatchDiagnostic, PatchSet } from './types.ts';

export interface ReadPatchFileOptions {
  /** Stream read for the path '-' (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

/** mbox "From " separator line, as git format-patch and mail programs write it. */
const MBOX_FROM = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{1,2}:\d{2}(?::\d{2})? (?:\S+ )?\d{4}\s*$/;
const GIT_LOG_COMMIT = /^commit [0-9a-f]{7,64}(?:\s.*)?$/;

interface CommitRead {
  commit: PatchCommit;
  /** The message carried headers, a git log header or trailers: a commit message, not loose text. */
  looksLikeMessage: boolean;
  /** Patch line of the last non-blank line of the message part. */
  lastTextLine: number;
}

function paragraphSplit(lines: readonly string[], from: number, to: number) {
  let i = from;
  while (i < to && lines[i]!.trim() === '') i++;
  const subjectStart = i;
  while (i < to && lines[i]!.trim() !== '') i++;
  return { subjectStart, subjectEnd: i };
}

function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.trim() === '') a++;
  while (b > a && lines[b - 1]!.trim() === '') b--;
  return lines.slice(a, b);
}

const DIFFSTAT_SUMMARY = /^\s*(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?\s*$/;

/**
 * git format-patch announces its totals in the diffstat. When they disagree with the diff, the
 * patch was cut or edited: a repair that assumed only context was lost is then refused.
 */
function checkDiffstat(r: DiffReader, from: number, to: number, files: FilePatch[], repaired: boolean, signed: boolean, end: number): void {
  let at = -1;
  let m: RegExpExecArray | null = null;
  for (let k = from; k < to && !m; k++) if ((m = DIFFSTAT_SUMMARY.exec(r.lines[k]!))) at = k;
  if (!m) return;
  const want = { files: Number(m[1]), ins: Number(m[2] ?? 0), del: Number(m[3] ?? 0) };
  const have = { files: files.length, ins: 0, del: 0 };
  for (const f of files) {
    for (const h of f.hunks) {
      for (const l of h.lines) {
        if (l.kind === '+') have.ins++;
        else if (l.kind === '-') have.del++;
      }
    }
  }
  if (want.files === have.files && want.ins === have.ins && want.del === have.del) return;
  const text =
    `the diffstat at line ${lineNo(r, at)} announces ${want.files} file(s), ${want.ins} insertion(s), ${want.del} deletion(s) ` +
    `but the diff has ${have.files} file(s), ${have.ins} insertion(s), ${have.del} deletion(s)`;
  if (repaired) {
    const repair = [...r.diagnostics].reverse().find((d) => d.code === 'missing-trailing-context')!;
    throw badInput(`${text}: the patch was cut at line ${repair.line} and more than context was lost; cannot repair`, {
      file: r.source,
      line: repair.line,
      column: 1,
    });
  }
  if (!signed && have.ins + have.del < want.ins + want.del) {
    // No "-- " signature and lines missing: the file was cut after a complete hunk.
    throw badInput(`${text}: the patch was cut at line ${lineNo(r, end - 1)} (it has no '-- ' signature); a partial patch is refused`, {
      file: r.source,
      line: lineNo(r, end - 1),
      column: 1,
    });
  }
  r.diagnostics.push({
    severity: 'warning',
    code: 'diffstat-mismatch',
    line: lineNo(r, at),
    message: `${text}: the patch was edited or cut after it was generated`,
    action: 'the diff is read as it is',
  });
}

/** One commit: headers or git log header, message (up to '---' or the diff), then the diff. */
function readCommit(r: DiffReader, start: number, end: number): CommitRead {
  const { lines } = r;
  let i = start;
  if (MBOX_FROM.test(lines[i] ?? '')) i++;
  let author: string | undefined;
  let authorSource: PatchCommit['authorSource'];
  let date: string | undefined;
  let rawSubject: string | undefined;
  let subjectLine: number | undefined;
  let looksLikeMessage = false;
  let messageLines: string[];

  if (looksLikeHeaders(lines, i)) {
    const h = readHeaders(lines, i, end);
    for (let k = i; k < h.end; k++) if (/^subject:/i.test(lines[k]!)) subjectLine ??= lineNo(r, k);
    author = h.fields.get('from')?.[0];
    if (author) authorSource = 'header';
    date = h.fields.get('date')?.[0];
    rawSubject = h.fields.get('subject')?.[0];
    looksLikeMessage = true;
    i = h.end;
    // In-body From:/Date:/Subject: (git am): the real author when someone else sent the mail.
    if (looksLikeHeaders(lines, i) && /^(from|date|subject):/i.test(lines[i]!)) {
      const body = readHeaders(lines, i, end);
      const from = body.fields.get('from')?.[0];
      if (from) {
        author = from;
        authorSource = 'in-body';
      }
      date = body.fields.get('date')?.[0] ?? date;
      const subj = body.fields.get('subject')?.[0];
      if (subj) {
        rawSubject = subj;
        for (let k = i; k < body.end; k++) if (/^subject:/i.test(lines[k]!)) subjectLine = lineNo(r, k);
      }
      i = body.end;
    }
  } else if (GIT_LOG_COMMIT.test(lines[i] ?? '')) {
    // `git show` / `git log -p`: header lines, then the message indented by four spaces.
    looksLikeMessage = true;
    i++;
    for (; i < end && lines[i] !== ''; i++) {
      const m = /^(Author|Date|AuthorDate):\s*(.*)$/.exec(lines[i]!);
      if (m && m[1] === 'Author') {
        author = m[2];
        authorSource = 'git-log';
      } else if (m) date ??= m[2];
    }
    if (i < end) i++;
  }

  const firstFile = findFileStart(lines, i, end);
  const bodyEnd = firstFile === -1 ? end : firstFile;
  let messageEnd = bodyEnd;
  for (let k = i; k < bodyEnd; k++) {
    if (lines[k]!.trimEnd() === '---') {
      messageEnd = k;
      break;
    }
  }
  let body = lines.slice(i, messageEnd);
  if (body.length > 0 && body.every((l) => l === '' || l.startsWith('    '))) {
    body = body.map((l) => l.slice(4)); // git log indentation
  }
  if (rawSubject === undefined) {
    const { subjectStart, subjectEnd } = paragraphSplit(body, 0, body.length);
    if (subjectStart < subjectEnd) {
      rawSubject = body.slice(subjectStart, subjectEnd).join(' ');
      subjectLine = lineNo(r, i + subjectStart);
    }
    messageLines = trimBlankEdges(body.slice(subjectEnd));
  } else {
    messageLines = trimBlankEdges(body);
  }
  const { subject, seriesIndex, seriesTotal } = cleanSubject(rawSubject ?? '');
  const { signedOffBy, trailers } = parseTrailers(messageLines);
  if (signedOffBy.length > 0 || trailers.length > 0) looksLikeMessage = true;
  if (!author && signedOffBy[0]) {
    author = signedOffBy[0];
    authorSource = 'sign-off'; // kernel convention: the author signs off first
  }
  // Loose text with a subject, a blank line and a body is a commit message too.
  if (rawSubject && messageLines.length > 0) looksLikeMessage = true;

  // A hunk header before any file header: the ---/+++ lines were lost.
  for (let k = i; k < bodyEnd; k++) {
    if (HUNK_HEADER_START.test(lines[k]!)) {
      throw badInput(`hunk header at line ${lineNo(r, k)} has no file header ('--- a/...' and '+++ b/...') before it`, {
        file: r.source,
        line: lineNo(r, k),
        column: 1,
      });
    }
  }
  const repairsBefore = r.diagnostics.filter((d) => d.code === 'missing-trailing-context').length;
  const files: FilePatch[] = firstFile === -1 ? [] : readDiff(r, firstFile, end);
  if (messageEnd < bodyEnd && files.length > 0) {
    let signed = false;
    for (let k = bodyEnd; k < end && !signed; k++) signed = isSignature(lines, k, end);
    const repaired = r.diagnostics.filter((d) => d.code === 'missing-trailing-context').length > repairsBefore;
    checkDiffstat(r, messageEnd + 1, bodyEnd, files, repaired, signed, end);
  }
  let lastTextLine = bodyEnd - 1;
  while (lastTextLine > start && lines[lastTextLine]!.trim() === '') lastTextLine--;
  const commit: PatchCommit = {
    subject,
    author,
    date,
    message: messageLines.join('\n'),
    signedOffBy,
    trailers,
    startLine: lineNo(r, start),
    files,
  };
  if (seriesIndex !== undefined) {
    commit.seriesIndex = seriesIndex;
    commit.seriesTotal = seriesTotal;
  }
  if (authorSource) commit.authorSource = authorSource;
  if (subjectLine !== undefined) commit.subjectLine = subjectLine;
  if (firstFile !== -1) commit.diffLine = lineNo(r, firstFile);
  return { commit, looksLikeMessage, lastTextLine: lineNo(r, Math.max(lastTextLine, start)) };
}

/**
 * One mail or commit. A body in quoted-printable or base64 is decoded first (git am does the
 * same); the decoded lines keep the patch line they came from, for every location reported.
 */
function readMessage(r: DiffReader, start: number, end: number): CommitRead {
  const { lines } = r;
  const i = MBOX_FROM.test(lines[start] ?? '') ? start + 1 : start;
  if (!looksLikeHeaders(lines, i)) return readCommit(r, start, end);
  const h = readHeaders(lines, i, end);
  const encoding = transferEncoding(h.fields);
  const contentType = h.fields.get('content-type')?.[0] ?? '';
  if (!encoding || /multipart\//i.test(contentType) || h.end >= end) return readCommit(r, start, end);
  const charset = /charset="?([^";\s]+)/i.exec(contentType)?.[1] ?? 'utf-8';
  const body = decodeBody(lines, h.end, end, encoding, charset);
  const origin: number[] = [];
  for (let k = start; k < h.end; k++) origin.push(k + 1);
  const sub: DiffReader = {
    lines: [...lines.slice(start, h.end), ...body.lines],
    origin: [...origin, ...body.origin],
    source: r.source,
    finalNewline: end < lines.length || r.finalNewline,
    diagnostics: r.diagnostics,
    trimmedBlankLines: r.trimmedBlankLines,
  };
  r.diagnostics.push({
    severity: 'repaired',
    code: 'transfer-encoding',
    line: h.end + 1,
    message: `the mail body (from line ${h.end + 1}) is ${encoding} encoded`,
    action: `decoded (${charset}) as git am does; locations point at the encoded lines${encoding === 'base64' ? ', approximately' : ''}`,
  });
  return readCommit(sub, 0, sub.lines.length);
}

/**
 * Reads a patch. Throws a one-line PeerpropError (exit 2, file:line:col) when it cannot be read
 * or its damage cannot be repaired unambiguously; repairs and warnings are in `diagnostics`.
 * A commit message without a diff is returned as form 'message-only' with an error diagnostic
 * (metadata callers may use it; `requireDiff` refuses it).
 */
export function readPatch(text: string, source: string): PatchSet {
  const { lines, finalNewline, diagnostics } = splitPatchText(text, source);
  const r: DiffReader = { lines, source, finalNewline, diagnostics, trimmedBlankLines: [] };
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) if (MBOX_FROM.test(lines[i]!)) starts.push(i);
  if (starts.length === 0 || starts[0] !== 0) {
    // Text before the first From_ line (or none at all): one message from the top.
    if (starts.length > 0 && lines.slice(0, starts[0]).some((l) => l.trim() !== '')) starts.unshift(0);
    else if (starts.length === 0) starts.push(0);
  }
  const reads = starts.map((s, k) => readMessage(r, s, k + 1 < starts.length ? starts[k + 1]! : lines.length));
  const commits = reads.map((c) => c.commit);
  const hasFromLine = MBOX_FROM.test(lines[starts[0]!] ?? '');
  let form: PatchSet['form'] =
    commits.length > 1 ? 'mbox' : hasFromLine || reads[0]!.commit.authorSource === 'header' ? 'format-patch' : 'diff';
  if (commits.every((c) => c.files.length === 0)) {
    const bin = binaryLikeOffset(text);
    if (bin !== -1) {
      const at = positionOf(text.replace(/\r\n/g, '\n'), bin);
      throw badInput(`binary or non-text input, not a patch (control byte 0x${text.charCodeAt(bin).toString(16).padStart(2, '0')})`, {
        file: source,
        ...at,
      });
    }
    if (!reads.some((c) => c.looksLikeMessage)) {
      throw badInput(
        `not a patch: no diff ('diff --git', '---'/'+++' and '@@' lines) and no commit message in ${lines.length} line(s), starting ${quote(lines.find((l) => l.trim() !== '') ?? '', 40)}`,
        { file: source, line: Math.max(1, lines.findIndex((l) => l.trim() !== '') + 1), column: 1 },
      );
    }
    form = 'message-only';
    const last = reads[reads.length - 1]!;
    diagnostics.push({
      severity: 'error',
      code: 'no-diff',
      line: last.lastTextLine,
      message: `no diff: the commit message (${quote(commits[0]!.subject, 50)}) ends at line ${last.lastTextLine} and no diff follows; nothing to review or apply`,
    });
  }
  if (commits.length > 1 && form !== 'message-only') checkSeries(commits, diagnostics);
  if (r.trimmedBlankLines.length > 0) {
    const first = r.trimmedBlankLines[0]!;
    diagnostics.push({
      severity: 'repaired',
      code: 'blank-context-trimmed',
      line: first,
      message: `${r.trimmedBlankLines.length} empty line(s) inside hunks (first at line ${first}): blank context lines whose leading space was trimmed (trailing-whitespace damage)`,
      action: "read as blank context lines (' ')",
    });
  }
  const last = lines.length - 1;
  if (!finalNewline && !diagnostics.some((d) => d.code === 'missing-trailing-context' && d.line === last + 1)) {
    const inHunk = commits.some((c) => c.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.patchLine === last + 1))));
    if (inHunk) {
      diagnostics.push({
        severity: 'warning',
        code: 'no-final-newline',
        line: last + 1,
        message: `the patch ends without a newline inside a hunk: the file was probably cut, so line ${last + 1} may be incomplete`,
        action: 'kept as it is; a cut context line fails to match when applied',
      });
    }
  }
  diagnostics.sort((a, b) => a.line - b.line);
  return { source, form, commits, diagnostics, lineCount: Math.max(1, lines.length) };
}

/** A series (mbox) that lost a diff or a patch: reported, the rest is still read. */
function checkSeries(commits: PatchCommit[], diagnostics: PatchDiagnostic[]): void {
  for (const c of commits) {
    if (c.files.length === 0 && c.seriesIndex !== 0) {
      diagnostics.push({
        severity: 'warning',
        code: 'commit-without-diff',
        line: c.subjectLine ?? c.startLine,
        message: `commit ${c.seriesIndex !== undefined ? `${c.seriesIndex}/${c.seriesTotal} ` : ''}(${quote(c.subject, 50)}) at line ${c.startLine} has no diff`,
        action: 'the series is read without it',
      });
    }
  }
  const total = commits.find((c) => c.seriesTotal !== undefined)?.seriesTotal;
  if (total === undefined) return;
  const present = new Set(commits.map((c) => c.seriesIndex));
  const missing: number[] = [];
  for (let n = 1; n <= total && missing.length < 10; n++) if (!present.has(n)) missing.push(n);
  if (missing.length > 0) {
    const last = commits[commits.length - 1]!;
    diagnostics.push({
      severity: 'warning',
      code: 'series-incomplete',
      line: last.subjectLine ?? last.startLine,
      message: `the series announces ${total} patches but patch ${missing.join(', ')} of ${total} is not in this file`,
      action: 'the patches present are read',
    });
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 0 : (b & 0xe0) === 0xc0 ? 1 : (b & 0xf0) === 0xe0 ? 2 : (b & 0xf8) === 0xf0 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return bytes.length;
}

/** Patch bytes → text: UTF-8 when valid, otherwise Latin-1 (old patches), which keeps every byte. */
export function decodePatchBytes(bytes: Buffer): { text: string; diagnostic?: PatchDiagnostic } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const text = bytes.toString('latin1');
    const offset = firstInvalidUtf8(bytes);
    const at = positionOf(text, Math.min(offset, text.length));
    return {
      text,
      diagnostic: {
        severity: 'warning',
        code: 'not-utf8',
        line: at.line,
        column: at.column,
        message: `the patch is not valid UTF-8 (first bad byte at line ${at.line}); read as Latin-1`,
        action: 'bytes kept as they are',
      },
    };
  }
}

/** Reads a patch file (or standard input for '-') and parses it with readPatch. */
export async function readPatchFile(path: string | '-', opts: ReadPatchFileOptions = {}): Promise<PatchSet> {
  const source = path === '-' ? '<stdin>' : path;
  let bytes: Buffer;
  try {
    bytes = path === '-' ? await readStream(opts.stdin ?? process.stdin) : await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw badInput(`cannot read patch: ${why}`, { file: source });
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const at = positionOf(bytes.subarray(0, nul + 1).toString('latin1'), nul);
    throw badInput('binary input, not a text patch (NUL byte)', { file: source, ...at });
  }
  const { text, diagnostic } = decodePatchBytes(bytes);
  const set = readPatch(text, source);
  if (diagnostic) {
    set.diagnostics.push(diagnostic);
    set.diagnostics.sort((a, b) => a.line - b.line);
  }
  return set;
}

/** Every FilePatch of every commit, in order. */
export function allFilePatches(set: PatchSet): FilePatch[] {
  return set.commits.flatMap((c) => c.files);
}

/** Refuses (exit 2, one line naming the line) a set that cannot be reviewed or applied: no diff. */
export function requireDiff(set: PatchSet): void {
  const err = set.diagnostics.find((d) => d.severity === 'error');
  if (err) throw badInput(err.message, { file: set.source, line: err.line, column: err.column ?? 1 });
  if (allFilePatches(set).length === 0) {
    throw badInput('no diff in this patch: nothing to review or apply', { file: set.source, line: set.lineCount ?? 1 });
  }
}
