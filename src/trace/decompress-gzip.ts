/**
 * gzip through node:zlib, strictly: every member (concatenated gzip, as `cat a.gz b.gz` makes, is
 * one stream of several members) must end with a matching CRC-32 and length, and nothing but zero
 * padding may follow the last one. node:zlib alone would stop silently at the first zero byte after
 * a member and ignore whatever follows it, so the compressed bytes after the end of the gzip data
 * are scanned here.
 */
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Transform, Writable } from 'node:stream';
import { DamageFound } from './decompress-types.ts';

/** Output pieces of zlib (the reader cuts them smaller). */
const OUT_BYTES = 1 << 20;
/**
 * Compressed bytes handed to zlib at a time. zlib does not say where in its input it found damage,
 * only that it did while decoding what it was given: the offset reported is the end of what it
 * had, so this bounds how far past the damage it can be.
 */
const FEED_BYTES = 1 << 14;
/**
 * zlib's messages for a member header it cannot parse. When the first member's header is sound,
 * they are about what follows a member: bytes that are not gzip.
 */
const HEADER_ERRORS = new Set(['incorrect header check', 'unknown compression method', 'unknown header flags set']);

export async function* gunzipPieces(raw: AsyncIterator<Buffer>, warnings: string[]): AsyncGenerator<Buffer> {
  const g = createGunzip({ chunkSize: OUT_BYTES });
  let zerr: (Error & { code?: string }) | undefined;
  let readError: unknown;
  let ended = false;
  let stop = false;
  /** Compressed bytes read, handed to zlib, and the offset of the last non-zero byte read. */
  let read = 0;
  let fed = 0;
  let lastNonZero = -1;
  let firstHeaderOk = false;
  g.on('error', (e: Error & { code?: string }) => {
    // Once the gzip data ended, errors are about writes that were still queued (aborted, or on a
    // destroyed stream), not about the data: what follows the end is judged by the scan below.
    if (!ended) zerr ??= e;
  });
  g.once('end', () => (ended = true));
  const pump = (async () => {
    try {
      for (;;) {
        if (stop) return;
        const r = await raw.next();
        if (r.done) break;
        const buf = r.value;
        // Magic, method deflate, no reserved flag bits (the caller saw at least the magic).
        if (read === 0) firstHeaderOk = buf.length >= 4 && buf[0] === 0x1f && buf[1] === 0x8b && buf[2] === 8 && (buf[3]! & 0xe0) === 0;
        // Compressed data rarely ends in zeros: scanning from the end stops at once.
        let i = buf.length - 1;
        while (i >= 0 && buf[i] === 0) i--;
        if (i >= 0) lastNonZero = read + i;
        read += buf.length;
        // Past the end of the gzip data (or after an error) the rest is only scanned, to the end.
        for (let p = 0; p < buf.length && !stop && !ended && !zerr && !g.destroyed; p += FEED_BYTES) {
          const piece = buf.subarray(p, p + FEED_BYTES);
          fed += piece.length;
          if (!g.write(piece)) await writable(g);
        }
      }
      if (!ended && !zerr && !g.destroyed) g.end();
    } catch (e) {
      readError = e;
      g.destroy();
    }
  })();
  try {
    try {
      for await (const out of g as Transform & AsyncIterable<Buffer>) yield out;
    } catch (e) {
      if (!zerr && !readError) throw e;
    }
    await pump;
    if (readError) throw readError;
    if (zerr) {
      const msg = zerr.message;
      if (zerr.code === 'Z_BUF_ERROR') throw new DamageFound('cut short', fed);
      if (HEADER_ERRORS.has(msg) && firstHeaderOk) throw new DamageFound(`followed by bytes that are not gzip data (${msg})`, fed);
      throw new DamageFound(`damaged (${msg})`, fed);
    }
    // Every member ended with a matching CRC and length; zlib consumed up to the end of the last.
    const end = g.bytesWritten;
    if (lastNonZero >= end) throw new DamageFound(`followed by ${read - end} bytes of trailing garbage`, end);
    if (read > end) warnings.push(`${read - end} zero bytes of padding after the gzip data ignored`);
  } finally {
    // Not awaited: after an early stop the pump may wait on an input that never ends (a pipe).
    stop = true;
    if (!g.destroyed) g.destroy();
  }
}

/** Resolves when `w` takes more writes, or never will (closed, failed). */
export function writable(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}

/**
 * A whole gzip blob in memory (a section of the capture port), judged as strictly as the stream:
 * the text, or why it is not whole.
 */
export function gunzipStrict(blob: Buffer): { text: Buffer } | { damage: string } {
  let r: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    r = gunzipSync(blob, { info: true }) as unknown as typeof r;
  } catch (e) {
    const z = e as Error & { code?: string };
    return { damage: z.code === 'Z_BUF_ERROR' ? `gzip data cut short at byte ${blob.length}` : `gzip data damaged (${z.message})` };
  }
  const end = r.engine.bytesWritten;
  if (end < blob.length && blob.subarray(end).some((b) => b !== 0)) return { damage: `gzip data followed by ${blob.length - end} bytes of trailing garbage at byte ${end}` };
  return { text: r.buffer };
}
