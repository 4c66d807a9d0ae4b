/**
 * Trace input: a path or '-' (stdin) or a given stream → decoded text chunks, gunzipped when the
 * data starts with the gzip magic. Binary trace formats we do not read (trace-cmd's trace.dat,
 * perf.data) are refused with the command that turns them into text.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';
import { badInput } from '../core/errors.ts';

/** Reads are 1 MB (fewer syscalls); text is handed on in 64 KB pieces, so a batch of events dies young (less GC copying, lower peak RSS). */
export const CHUNK_BYTES = 1 << 20;
const PIECE_BYTES = 1 << 16;

export interface TextSource {
  compression: 'gzip' | undefined;
  /** Decoded text, arbitrary chunk boundaries. Errors of a truncated gzip end the text early (see warnings). */
  chunks: AsyncIterable<string>;
  /** The same input as bytes (decompressed), arbitrary boundaries: read either this or chunks. */
  buffers: AsyncIterable<Buffer>;
  /** Filled while reading: problems that did not stop it (truncated gzip ...). */
  warnings: string[];
  bytes(): number;
}

export async function openSource(path: string, file: string, input?: NodeJS.ReadableStream): Promise<TextSource> {
  let stream: NodeJS.ReadableStream;
  if (input) stream = input;
  else if (path === '-') stream = process.stdin;
  else {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw badInput(code === 'ENOENT' ? 'no such trace file' : `cannot read trace file (${code ?? String(e)})`, { file });
    }
    if (st.isDirectory()) throw badInput('is a directory, not a trace file', { file });
    stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    await new Promise<void>((resolve, reject) => {
      (stream as ReturnType<typeof createReadStream>).once('open', () => resolve());
      stream.once('error', (err) => reject(badInput(`cannot read trace file (${(err as NodeJS.ErrnoException).code ?? err})`, { file })));
    });
  }
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  // Peek at the first bytes for magic numbers.
  let first: Buffer = Buffer.alloc(0);
  let ended = false;
  while (first.length < 16 && !ended) {
    let r: IteratorResult<Buffer | string>;
    try {
      r = await it.next();
    } catch (e) {
      throw badInput(`cannot read trace input (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
    }
    if (r.done) ended = true;
    else first = Buffer.concat([first, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
  }
  if (first.length >= 10 && first[0] === 0x17 && first[1] === 0x08 && first[2] === 0x44 && first.subarray(3, 10).toString('latin1') === 'tracing') {
    throw badInput('this is a trace-cmd binary file (trace.dat): convert it with `trace-cmd report -i FILE > FILE.txt` and pass the text', { file });
  }
  if (first.subarray(0, 8).toString('latin1') === 'PERFILE2') {
    throw badInput('this is a perf.data file: convert it with `perf script -i FILE > FILE.txt` (kprobe events) and pass the text', { file });
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
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  /** Decompressed bytes in pieces of at most PIECE_BYTES. */
  async function* pieces(): AsyncGenerator<Buffer> {
    let src: AsyncIterable<Buffer> = raw();
    if (gzip) {
      const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
      src = Readable.from(raw(), { objectMode: false }).pipe(gunzip);
    }
    try {
      for await (const whole of src) {
        bytes += whole.length;
        if (whole.length <= PIECE_BYTES) yield whole;
        else for (let off = 0; off < whole.length; off += PIECE_BYTES) yield whole.subarray(off, off + PIECE_BYTES);
      }
    } catch (e) {
      if (!gzip) throw badInput(`cannot read trace input (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
      warnings.push(`gzip data is damaged or truncated after ${bytes} bytes (${(e as Error).message}); read what came before`);
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
    compression: gzip ? 'gzip' : undefined,
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
