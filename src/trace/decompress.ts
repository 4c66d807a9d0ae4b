/**
 * Compressed trace input: which container the first bytes say (by magic, never by file name),
 * and its decompressed bytes, whole or not at all. A container that is cut short, fails a
 * checksum or a length check, holds a corrupt block or carries garbage after its last member is
 * bad input (exit 2): the damage is often found only at the very end, after every event was
 * already replayed, so the error is thrown there and nothing that consumed the events may print a
 * verdict on them. gzip is decoded in-process (node:zlib); xz, zstd, bzip2 and lz4 by Debian's
 * decoders (node:zlib has none of them in Node 20).
 */
import { badInput } from '../core/errors.ts';
import { gunzipPieces } from './decompress-gzip.ts';
import { toolPieces } from './decompress-tool.ts';
import { DamageFound, type CompressedInput, type Compression, type Damage, type Decompressed } from './decompress-types.ts';

export type { Compression } from './decompress-types.ts';

/** The container the input's first bytes announce, if any. */
export function compressionOf(head: Uint8Array): Compression | undefined {
  const b = (i: number): number => (i < head.length ? head[i]! : -1);
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00) return 'xz';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  // A skippable frame (as pzstd writes first) is zstd's; lz4 frames may be preceded by one too, but
  // that is rare and zstd would then say it cannot read the file (bad input either way).
  if (b(0) >= 0x50 && b(0) <= 0x5f && b(1) === 0x2a && b(2) === 0x4d && b(3) === 0x18) return 'zstd';
  // "BZh" and the block size digit 1-9, then the first block's magic (pi) or the end-of-stream magic.
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68 && b(3) >= 0x31 && b(3) <= 0x39 && (b(4) === 0x31 || b(4) === 0x17)) return 'bzip2';
  // lz4 frame format, and the legacy format of old `lz4 -l` / kernel images.
  if (b(0) === 0x04 && b(1) === 0x22 && b(2) === 0x4d && b(3) === 0x18) return 'lz4';
  if (b(0) === 0x02 && b(1) === 0x21 && b(2) === 0x4c && b(3) === 0x18) return 'lz4';
  return undefined;
}

export function damageError(c: Compression, input: CompressedInput, d: Damage, out: Decompressed) {
  // The whole size is known for a regular file; for a stream, only once it was read to its end.
  const total = input.size ?? (input.ended ? input.read : undefined);
  const of = total !== undefined ? ` of ${total}` : '';
  return badInput(
    `${c} data ${d.what} at byte ${d.at}${of} (${humanBytes(out.bytes)}, ${out.lines} ${out.lines === 1 ? 'line' : 'lines'} decompressed): not replayed`,
    { file: input.file },
  );
}

export function humanBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  return `${(n / 1_000_000_000).toFixed(1)} GB`;
}

/**
 * The decompressed bytes of `raw` (compressed, any boundaries). Throws bad input (exit 2) when the
 * container is damaged — after yielding what decoded, since the decoder may find it only at the
 * end — and environment missing (exit 3) when the decoder's Debian package is not installed.
 * Warnings (harmless oddities such as zero padding) go to `warnings`.
 */
export async function* decompress(
  c: Compression,
  raw: AsyncIterator<Buffer>,
  input: CompressedInput,
  warnings: string[],
): AsyncGenerator<Buffer> {
  const out: Decompressed = { bytes: 0, lines: 0 };
  const counted: AsyncIterator<Buffer> = {
    next: async () => {
      const r = await raw.next();
      if (r.done) input.ended = true;
      else input.read += r.value.length;
      return r;
    },
  };
  const gen = c === 'gzip' ? gunzipPieces(counted, warnings) : toolPieces(c, counted, input.file);
  try {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await gen.next();
      } catch (e) {
        if (e instanceof DamageFound) throw damageError(c, input, e, out);
        throw e;
      }
      if (r.done) return;
      const buf = r.value;
      out.bytes += buf.length;
      for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) out.lines++;
      yield buf;
    }
  } finally {
    // Stopped early (the consumer broke off): the decoder ends (a child process would keep Node alive).
    await gen.return(undefined);
  }
}
