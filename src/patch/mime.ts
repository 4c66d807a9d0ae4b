/**
 * Mail bodies in a transfer encoding (quoted-printable, base64), decoded as git am does, with
 * the patch file line each decoded line came from, so that diagnostics still point into the file.
 */

export type TransferEncoding = 'quoted-printable' | 'base64';

export interface DecodedBody {
  lines: string[];
  /** Patch file line (1-based) where each decoded line starts. */
  origin: number[];
}

/** The body's transfer encoding when it needs decoding (7bit/8bit/binary do not). */
export function transferEncoding(fields: Map<string, string[]>): TransferEncoding | undefined {
  const v = fields.get('content-transfer-encoding')?.[0]?.trim().toLowerCase();
  return v === 'quoted-printable' || v === 'base64' ? v : undefined;
}

function decodeText(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

function qpBytes(seg: string, out: number[]): void {
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(seg.slice(i + 1, i + 3))) {
      out.push(parseInt(seg.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) out.push(c);
    else out.push(...Buffer.from(seg[i]!, 'utf8'));
  }
}

/** Decodes lines[from, to) (0-based indices into the patch file's lines). */
export function decodeBody(lines: readonly string[], from: number, to: number, encoding: TransferEncoding, charset: string): DecodedBody {
  const out: DecodedBody = { lines: [], origin: [] };
  if (encoding === 'quoted-printable') {
    let bytes: number[] = [];
    let start = -1;
    for (let k = from; k < to; k++) {
      const raw = lines[k]!;
      if (start < 0) start = k;
      const soft = raw.endsWith('=');
      // A soft break ('=' at the end) joins the next line; literal trailing blanks are transport padding.
      qpBytes(soft ? raw.slice(0, -1) : raw.replace(/[ \t]+$/, ''), bytes);
      if (!soft) {
        out.lines.push(decodeText(Uint8Array.from(bytes), charset));
        out.origin.push(start + 1);
        bytes = [];
        start = -1;
      }
    }
    if (start >= 0) {
      out.lines.push(decodeText(Uint8Array.from(bytes), charset));
      out.origin.push(start + 1);
    }
    return out;
  }
  const text = decodeText(Buffer.from(lines.slice(from, to).join(''), 'base64'), charset);
  const decoded = text.split(/\r?\n/);
  if (decoded.length > 0 && decoded[decoded.length - 1] === '') decoded.pop();
  // base64 lines do not match decoded lines: spread the decoded lines over the encoded ones.
  const span = Math.max(1, to - from);
  decoded.forEach((l, i) => {
    out.lines.push(l);
    out.origin.push(from + 1 + Math.min(span - 1, Math.floor((i * span) / Math.max(1, decoded.length))));
  });
  return out;
}
