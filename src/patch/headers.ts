/**
 * Commit metadata as mail and git print it: RFC 2822 headers (folded, MIME encoded words),
 * [PATCH n/m] subjects and trailers (Signed-off-by, Reviewed-by, Fixes, ...).
 */

/** Decodes RFC 2047 encoded words (=?UTF-8?q?...?= / ?b?); whitespace between adjacent words is dropped. */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  return joined.replace(word, (whole, charset: string, enc: string, data: string) => {
    let bytes: Uint8Array;
    if (enc === 'B' || enc === 'b') {
      bytes = Buffer.from(data, 'base64');
    } else {
      const out: number[] = [];
      for (let i = 0; i < data.length; i++) {
        const c = data[i]!;
        if (c === '_') out.push(0x20);
        else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(data.slice(i + 1, i + 3))) {
          out.push(parseInt(data.slice(i + 1, i + 3), 16));
          i += 2;
        } else out.push(c.charCodeAt(0) & 0xff);
      }
      bytes = Uint8Array.from(out);
    }
    try {
      return new TextDecoder(charset.toLowerCase().replace(/\*.*$/, ''), { fatal: true }).decode(bytes);
    } catch {
      return whole;
    }
  });
}

export interface MailHeaders {
  /** Lower-case name → unfolded, decoded values in order. */
  fields: Map<string, string[]>;
  /** Index (into the lines) just past the blank line ending the headers. */
  end: number;
}

const HEADER_LINE = /^([A-Za-z][A-Za-z0-9-]*):(?:[ \t](.*)|)$/;

/** True when lines[i] starts an RFC 2822 header block we know (From:, Subject:, Date:, ...). */
export function looksLikeHeaders(lines: readonly string[], i: number): boolean {
  const m = HEADER_LINE.exec(lines[i] ?? '');
  return !!m && /^(from|subject|date|message-id|to|cc|return-path|received|delivered-to|mime-version|content-type|x-[\w-]+|in-reply-to|references)$/i.test(m[1]!);
}

/** Reads headers from lines[start], unfolding continuation lines, up to the first blank line. */
export function readHeaders(lines: readonly string[], start: number, end: number): MailHeaders {
  const fields = new Map<string, string[]>();
  let name: string | undefined;
  let value = '';
  const flush = () => {
    if (name === undefined) return;
    const list = fields.get(name) ?? [];
    list.push(decodeEncodedWords(value.trim()));
    fields.set(name, list);
    name = undefined;
  };
  let i = start;
  for (; i < end; i++) {
    const line = lines[i]!;
    if (line === '') {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && name !== undefined) {
      value += ' ' + line.trim();
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m) break; // not a header any more: the body starts without a blank line
    flush();
    name = m[1]!.toLowerCase();
    value = m[2] ?? '';
  }
  flush();
  return { fields, end: i };
}

export interface CleanSubject {
  subject: string;
  seriesIndex?: number;
  seriesTotal?: number;
}

/** Strips "Re:" and leading [..] tags as git am does, keeping the n/m numbering of a [PATCH n/m] tag. */
export function cleanSubject(raw: string): CleanSubject {
  let s = raw.replace(/\s+/g, ' ').trim();
  let seriesIndex: number | undefined;
  let seriesTotal: number | undefined;
  for (;;) {
    const re = /^(?:re|fwd?|aw):\s*/i.exec(s);
    if (re) {
      s = s.slice(re[0].length);
      continue;
    }
    const tag = /^\[([^\]]*)\]\s*/.exec(s);
    if (!tag) break;
    const n = /(?:^|\s)(\d+)\/(\d+)\s*$/.exec(tag[1]!);
    if (n && seriesIndex === undefined) {
      seriesIndex = Number(n[1]);
      seriesTotal = Number(n[2]);
    }
    s = s.slice(tag[0].length);
  }
  return { subject: s, seriesIndex, seriesTotal };
}

export interface Trailers {
  signedOffBy: string[];
  trailers: { key: string; value: string }[];
}

const TRAILER = /^([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]):\s+(\S.*)$/;
/** Keys accepted as trailers even when they are a minority of their paragraph. */
const KNOWN_TRAILER = /^(signed-off-by|reviewed-by|acked-by|tested-by|reported-by|suggested-by|co-developed-by|fixes|cc|link|closes|cherry-picked-from|reported-and-tested-by|requested-by|debugged-by)$/i;

/**
 * Trailers as git interprets them: the last paragraph of the message, when it consists of
 * "Key: value" lines (at least one a known trailer key). Continuation lines are folded in.
 */
export function parseTrailers(messageLines: readonly string[]): Trailers {
  let end = messageLines.length;
  while (end > 0 && messageLines[end - 1]!.trim() === '') end--;
  let start = end;
  while (start > 0 && messageLines[start - 1]!.trim() !== '') start--;
  const paragraph = messageLines.slice(start, end);
  const entries: { key: string; value: string }[] = [];
  let known = 0;
  let other = 0;
  for (const line of paragraph) {
    const m = TRAILER.exec(line);
    if (m) {
      entries.push({ key: m[1]!, value: m[2]!.trim() });
      if (KNOWN_TRAILER.test(m[1]!)) known++;
    } else if (/^\s/.test(line) && entries.length > 0) {
      entries[entries.length - 1]!.value += ' ' + line.trim();
    } else other++;
  }
  // git's rule: at least a quarter of the paragraph are trailers, one of them a known key.
  if (known === 0 || entries.length * 4 < entries.length + other) return { signedOffBy: [], trailers: [] };
  const signedOffBy: string[] = [];
  const trailers: { key: string; value: string }[] = [];
  for (const e of entries) {
    if (/^signed-off-by$/i.test(e.key)) signedOffBy.push(e.value);
    else trailers.push(e);
  }
  return { signedOffBy, trailers };
}
