/**
 * Trace input: a path or '-' (stdin) or a given stream → decoded text chunks, decompressed when the
 * data starts with the magic of gzip, xz, zstd, bzip2 or lz4 (decompress.ts; a damaged container
 * is bad input, thrown after what decoded). Binary trace formats we do not read (trace-cmd's
 * trace.dat, perf.data) are refused with the command that turns them into text.
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';
import { badInput, PeerpropError } from '../core/errors.ts';
import { compressionOf, decompress, type Compression } from './decompress.ts';

/** Reads are 1 MB (fewer syscalls); text is handed on in 64 KB pieces, so a batch of events dies young (less GC copying, lower peak RSS). */
export const CHUNK_BYTES = 1 << 20;
const PIECE_BYTES = 1 << 16;

export interface TextSource {
  compression: Compression | undefined;
  /**
   * Decoded text, arbitrary chunk boundaries. A damaged compressed container throws bad input
   * (exit 2) once the damage is found, which may be after the last chunk of what decoded.
   */
  chunks: AsyncIterable<string>;
  /**
   * The same input as bytes (decompressed), arbitrary boundaries: read either this or chunks.
   * A buffer is valid only until the next one is asked for (a consumer copies what it keeps).
   */
  buffers: AsyncIterable<Buffer>;
  /** Filled while reading: oddities that do not make the input incomplete (zero padding after gzip data). */
  warnings: string[];
  bytes(): number;
}

export async function openSource(path: string, file: string, input?: NodeJS.ReadableStream): Promise<TextSource> {
  let stream: NodeJS.ReadableStream | undefined;
  let fileHandle: FileHandle | undefined;
  /** Compressed size for messages, when known (a regular file). */
  let size: number | undefined;
  const closeFile = async (): Promise<void> => {
    const fh = fileHandle;
    fileHandle = undefined;
    if (fh) await fh.close().catch(() => undefined);
  };
  if (input) stream = input;
  else if (path === '-') stream = process.stdin;
  else {
    let st: Stats;
    try {
      st = await stat(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw badInput(code === 'ENOENT' ? 'no such trace file' : `cannot read trace file (${code ?? String(e)})`, { file });
    }
    if (st.isDirectory()) throw badInput('is a directory, not a trace file', { file });
    if (st.isFile()) {
      size = st.size;
      let fh: FileHandle;
      try {
        fh = await open(path, 'r');
      } catch (e) {
        throw badInput(`cannot read trace file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
      }
      fileHandle = fh;
    } else {
      // A FIFO or device: a stream.
      const rs = createReadStream(path, { highWaterMark: CHUNK_BYTES });
      stream = rs;
      await new Promise<void>((resolve, reject) => {
        rs.once('open', () => resolve());
        rs.once('error', (err) => reject(badInput(`cannot read trace file (${(err as NodeJS.ErrnoException).code ?? err})`, { file })));
      });
    }
  }
  /**
   * A regular file is read with read(2) into two buffers used in turn once the data is known not
   * to be gzip (the reader copies what it keeps): the next read is already under way while the
   * reader works on the current buffer, so reading never waits for the disk or the page cache, and
   * no buffer per read waits for the garbage collector: memory stays flat however long the trace.
   */
  let reuse = false;
  const shared = fileHandle ? [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)] : undefined;
  let turn = 0;
  let ahead: Promise<Buffer | undefined> | undefined;
  /** Bytes read from the file so far. */
  let fileRead = 0;
  const readInto = async (target: Buffer): Promise<Buffer | undefined> => {
    const { bytesRead } = await fileHandle!.read(target, 0, CHUNK_BYTES, null);
    fileRead += bytesRead;
    return bytesRead === 0 ? undefined : target.subarray(0, bytesRead);
  };
  const it: AsyncIterator<Buffer | string> = fileHandle
    ? {
        next: async () => {
          let got: Buffer | undefined;
          if (ahead) {
            got = await ahead;
            ahead = undefined;
          } else got = await readInto(reuse ? shared![turn]! : Buffer.allocUnsafe(CHUNK_BYTES));
          if (got === undefined) {
            // A file cut short while read (truncated, or replaced by a shorter one) was not read
            // whole: never a complete trace. Its size now says so (a pseudo-file whose size is
            // only nominal, read short, keeps that size).
            const now = fileRead < size! ? (await fileHandle!.stat()).size : size!;
            await closeFile();
            if (now < size! && fileRead < size!) {
              throw badInput(`the trace file ended at byte ${fileRead}, before the ${size} it had when the reading began (it was cut short while read)`, { file });
            }
            return { done: true, value: undefined };
          }
          if (reuse) {
            // The buffer just filled goes to the reader; the other one (which the reader has
            // finished with) receives the next read meanwhile.
            turn ^= 1;
            const p = readInto(shared![turn]!);
            p.catch(() => undefined); // awaited by the next call; an error surfaces there
            ahead = p;
          }
          return { done: false, value: got };
        },
      }
    : (stream! as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  // Peek at the first bytes for magic numbers.
  let first: Buffer = Buffer.alloc(0);
  let ended = false;
  while (first.length < 16 && !ended) {
    let r: IteratorResult<Buffer | string>;
    try {
      r = await it.next();
    } catch (e) {
      if (e instanceof PeerpropError) throw e; // the file cut short while read: said as it is
      throw badInput(`cannot read trace input (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
    }
    if (r.done) ended = true;
    else first = Buffer.concat([first, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
  }
  try {
    refuseBinary(first, file);
  } catch (e) {
    await closeFile();
    throw e;
  }
  async function* raw(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  let bytes = 0;
  const warnings: string[] = [];
  // Detected from the bytes, never from the file name: `trace.txt` may be gzip, `x.gz` may be text.
  const compression = compressionOf(first);
  // The decoders keep references to what they are given: only plain input reuses its read buffers.
  reuse = !compression;
  /** Decompressed bytes in pieces of at most PIECE_BYTES. */
  async function* pieces(): AsyncGenerator<Buffer> {
    const src: AsyncIterable<Buffer> = compression
      ? decompress(compression, raw(), { file, size, read: 0, ended: false }, warnings)
      : raw();
    let head = Boolean(compression);
    try {
      for await (const whole of src) {
        if (head) {
          // A compressed trace.dat or perf.data is refused like an uncompressed one.
          head = false;
          refuseBinary(whole, file);
        }
        bytes += whole.length;
        if (whole.length <= PIECE_BYTES) yield whole;
        else for (let off = 0; off < whole.length; off += PIECE_BYTES) yield whole.subarray(off, off + PIECE_BYTES);
      }
    } catch (e) {
      if (e instanceof PeerpropError) throw e;
      throw badInput(`cannot read trace input (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
    } finally {
      await closeFile();
    }
  }
  async function* decoded(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    // ASCII chunks (nearly all trace text) decode much faster as latin1, which is the same
    // for ASCII; anything else, or a chunk after a split UTF-8 sequence, goes through the decoder.
    let utf8Pending = false;
    for await (const buf of pieces()) {
      let s: string;
      if (!utf8Pending && isAscii(buf)) s = buf.toString('latin1');
      else {
        s = decoder.write(buf);
        utf8Pending = (decoder as unknown as { lastNeed: number }).lastNeed > 0;
      }
      if (s.length) yield s;
    }
    const rest = decoder.end();
    if (rest.length) yield rest;
  }
  // One of the two is read (they share the input).
  let chunks: AsyncIterable<string> | undefined;
  let buffers: AsyncIterable<Buffer> | undefined;
  return {
    compression,
    get chunks() {
      return (chunks ??= decoded());
    },
    get buffers() {
      return (buffers ??= pieces());
    },
    warnings,
    bytes: () => bytes,
  };
}

/** Binary trace formats we do not read, refused with the command that turns them into text. */
function refuseBinary(first: Buffer, file: string): void {
  if (first.length >= 10 && first[0] === 0x17 && first[1] === 0x08 && first[2] === 0x44 && first.subarray(3, 10).toString('latin1') === 'tracing') {
    throw badInput('this is a trace-cmd binary file (trace.dat): convert it with `trace-cmd report -i FILE > FILE.txt` and pass the text', { file });
  }
  if (first.subarray(0, 8).toString('latin1') === 'PERFILE2') {
    throw badInput('this is a perf.data file: convert it with `perf script -i FILE > FILE.txt` (kprobe events) and pass the text', { file });
  }
}
