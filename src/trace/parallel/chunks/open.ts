/**
 * Whether a trace is read by the chunked reader (reader.ts), and its opening: the first MB is
 * sniffed on the main thread as openTrace sniffs it (format, probe map, printer), and every
 * chunk is read with what was decided there.
 *
 * Only a regular file of plain ftrace or trace-cmd text, printed as the kernel prints it, is
 * chunked: standard input and pipes cannot be split, compressed files cannot be read from the
 * middle, serial captures carry console lines and the capture protocol's state between the trace
 * lines, JSON lines and bpftrace records are another reader, and other printers' lines go through
 * an adapter that needs the kernel's symbols. Those, and small files (starting workers costs
 * about 0.1 s), stay with the single-thread reader.
 */
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import type { OpenTraceOptions, TraceReader } from '../../types.ts';
import { compressionOf } from '../../decompress.ts';
import { detectFormat } from '../../detect.ts';
import { chooseProbeMap } from '../../map-choice.ts';
import { setupPrinter } from '../../printer-setup.ts';
import { Symbols } from '../../symbols.ts';
import { ChunkedReader, type ChunkedOptions } from './reader.ts';

/** The sniff window of openTrace. */
const SNIFF_BYTES = 1 << 20;
/** Below this size the workers' start-up costs more than they save. */
export const CHUNKED_MIN_BYTES = 32 << 20;

/**
 * How many workers read this input in chunks (0: none, the input goes another way): the
 * `threads` option when it is a number, else PEERPROP_TRACE_WORKERS=N (or `all`: one per core)
 * for files of at least CHUNKED_MIN_BYTES.
 *
 * Not the default. Measured on the 2 shared cores this project runs on (load 7-9 from other
 * work), 100 MB, parse+replay: one thread 3.1 s of CPU, 3.2-4.0 s wall; two workers 7.1-8.7 s of
 * CPU, 9.8-13.9 s wall (compiled build: 3.1 s against 7.4 s of CPU). Each worker is a V8 heap of
 * its own that compiles the reader again and collects its garbage (`--optimize-for-size`, set
 * for the whole process, makes that dear), the batches cross as columns that are encoded and
 * built again, and two workers beside the replaying main thread share two busy cores. It can pay
 * only where cores are free and idle; the README's figures say where it stands.
 */
export function chunkedWorkers(opts: OpenTraceOptions, size: number): number {
  if (typeof opts.threads === 'number') return Math.max(0, Math.floor(opts.threads));
  if (opts.threads !== undefined) return 0;
  const env = process.env.PEERPROP_TRACE_WORKERS;
  if (env === undefined || env === '') return 0;
  const n = env === 'all' ? availableParallelism() : Number(env);
  return Number.isInteger(n) && n > 0 && size >= CHUNKED_MIN_BYTES ? n : 0;
}

/** The chunked reader for this input, or undefined when it is not read in chunks. */
export async function openChunked(path: string, opts: OpenTraceOptions, copts: Partial<ChunkedOptions> = {}): Promise<TraceReader | undefined> {
  if (opts.input !== undefined || path === '-') return undefined;
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    size = st.size;
  } catch {
    return undefined; // the single-thread reader reports it
  }
  const workers = copts.workers ?? chunkedWorkers(opts, size);
  if (workers < 1) return undefined;
  let head: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, SNIFF_BYTES));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  // Compressed and binary traces go the single reader's way (it refuses or converts them).
  if (compressionOf(head) !== undefined || isBinaryTrace(head)) return undefined;
  const text = head.toString('utf8');
  const format = opts.format ?? detectFormat(text);
  if (format !== 'ftrace' && format !== 'trace-cmd') return undefined;
  const symbols = typeof opts.symbols === 'string' ? await Symbols.load(opts.symbols) : opts.symbols;
  const warnings: string[] = [];
  const choice = chooseProbeMap(format, text, opts);
  const printer = setupPrinter(text, format, choice.map, [], symbols, undefined, (m) => warnings.push(m));
  if (printer.adapter !== undefined) return undefined;
  let map: typeof choice.map;
  try {
    map = structuredClone(choice.map);
  } catch {
    return undefined;
  }
  const file = opts.name ?? path;
  return new ChunkedReader(
    file,
    { path, file, format, map, maxLines: opts.maxLineNumbers ?? 20, textPath: opts.textPath ?? false },
    { size, probeMap: choice.choice, printer: printer.report, warnings },
    { ...copts, workers },
  );
}

/** trace-cmd's trace.dat and perf.data (source.ts refuses them, external.ts prints them). */
function isBinaryTrace(b: Buffer): boolean {
  return (b.length >= 10 && b[0] === 0x17 && b[1] === 0x08 && b[2] === 0x44 && b.subarray(3, 10).toString('latin1') === 'tracing') || b.subarray(0, 8).toString('latin1') === 'PERFILE2';
}
