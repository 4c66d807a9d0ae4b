/**
 * openTrace(): the streaming reader. Bytes arrive in 64 KB pieces (a regular file is read ahead
 * into two alternating buffers); lines are cut at '\n' bytes. The usual ftrace event line of
 * ASCII input never becomes a string: parseEventBytes takes its columns apart (hashing the name
 * and the caller on the way), the probe plan is found by the name's hash and bytes, and
 * Emitter.handleBytes runs the plan's generated decoder, which decodes the values the events
 * need straight from the bytes. Every other line (headers, markers, serial lines, JSON, bpftrace, non-ASCII text, odd
 * layouts) is decoded and goes through the general text path, which gives the same results
 * (test/trace/bytepath.test.ts). Memory is bounded by the read buffer, the sniff window (1 MB),
 * the open-call tables and the intern table.
 *
 * Format and probe map are decided on the first 1 MB (the sniff window), which is then
 * processed like the rest.
 */
import type { CanonicalEvent } from './events.ts';
import type { OpenTraceOptions, TraceReadStats, TraceReader } from './types.ts';
import { compileMap } from './compile-map.ts';
import { emptyStats } from './read-stats.ts';
import { openSource, type TextSource } from './source.ts';
import { detectFormat } from './detect.ts';
import { openExternal, sniffBinaryTrace, type ExternalTrace } from './external.ts';
import { setupPrinter } from './printer-setup.ts';
import { Symbols } from './symbols.ts';
import { chooseProbeMap } from './map-choice.ts';
import { LineProcessor } from './line-processor.ts';
import { openThreaded, threadedEligible } from './parallel/threaded.ts';
import { openChunked } from './parallel/chunks/open.ts';

const SNIFF_CHARS = 1 << 20;

/** Open a trace for reading. Throws PeerpropError (exit 2) only when the input cannot be read. */
export async function openTrace(path: string, opts: OpenTraceOptions = {}): Promise<TraceReader> {
  // A large regular file may be read in chunks by several worker threads (parallel/chunks),
  // or on one worker thread while the caller consumes the events (parallel/threaded.ts).
  const chunked = await openChunked(path, opts);
  if (chunked) return chunked;
  if (threadedEligible(path, opts)) return openThreaded(path, opts);
  const file = opts.name ?? path;
  // trace.dat / perf.data: printed by their own tool (external.ts), then read as its text.
  const binary = opts.input ? undefined : await sniffBinaryTrace(path);
  const symbols = typeof opts.symbols === 'string' ? await Symbols.load(opts.symbols) : opts.symbols;
  const ext = binary ? await openExternal(path, binary, file) : undefined;
  const src = await openSource(path, file, ext ? ext.stream : opts.input);
  return new Reader(file, src, opts, ext, symbols);
}

/** Read a whole trace into memory (tests, small traces). */
export async function readTrace(
  path: string,
  opts: OpenTraceOptions = {},
): Promise<{ events: CanonicalEvent[]; stats: TraceReadStats }> {
  const r = await openTrace(path, opts);
  const events: CanonicalEvent[] = [];
  for await (const b of r.batches()) for (const e of b) events.push(e);
  return { events, stats: r.stats };
}

const EMPTY_BUF = Buffer.alloc(0);

class Reader implements TraceReader {
  readonly stats: TraceReadStats;
  private used = false;

  constructor(
    readonly file: string, private readonly src: TextSource, private readonly opts: OpenTraceOptions,
    private readonly ext?: ExternalTrace, private readonly symbols?: Symbols,
  ) {
    this.stats = emptyStats(file);
    this.stats.compression = src.compression;
  }

  async *events(): AsyncIterable<CanonicalEvent> {
    for await (const b of this.batches()) yield* b;
  }

  async *batches(): AsyncIterable<CanonicalEvent[]> {
    if (this.used) throw new Error('TraceReader.batches() can be iterated once');
    this.used = true;
    // Bytes, not text: lines are cut at '\n' bytes and the usual event line is read straight from
    // them (parseEventBytes, Emitter.handleBytes); only other lines become strings.
    const it = this.src.buffers[Symbol.asyncIterator]();
    try {
      yield* this.read(it);
    } finally {
      // Stopped early (an error, a consumer that broke off): the source closes its file and ends
      // its decompressor, whose child process would otherwise keep Node running.
      await it.return?.(undefined);
    }
  }

  private async *read(it: AsyncIterator<Buffer>): AsyncGenerator<CanonicalEvent[]> {
    const headBufs: Buffer[] = [];
    let headLen = 0;
    let done = false;
    while (headLen < SNIFF_CHARS && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else {
        headBufs.push(Buffer.from(r.value)); // a copy: the source reuses its buffer
        headLen += r.value.length;
      }
    }
    const head = Buffer.concat(headBufs, headLen).toString('utf8');
    const format = this.opts.format ?? detectFormat(head);
    const st = this.stats;
    st.format = format;
    const choice = chooseProbeMap(format, head, this.opts);
    st.probeMap = choice.choice;
    // Which printer wrote the text: other printers' lines are read as the kernel's (printers.ts).
    const printer = setupPrinter(head, format, choice.map, this.ext?.declarations ?? [], this.symbols ?? this.ext?.symbols, this.ext?.command, (m) => st.warnings.push(m));
    st.printer = printer.report;
    const proc = new LineProcessor(this.file, format, compileMap(choice.map), st, this.opts.maxLineNumbers ?? 20, this.opts.textPath ?? false, printer.adapter);
    for (let i = 0; ; i++) {
      let buf: Buffer;
      if (i < headBufs.length) {
        buf = headBufs[i]!;
        headBufs[i] = EMPTY_BUF; // read once: let it go
      } else {
        if (done) break;
        const r = await it.next();
        if (r.done) break;
        buf = r.value;
      }
      const batch = proc.chunk(buf);
      proc.flushStats(batch);
      if (batch.length) yield batch;
    }
    const last = proc.end();
    proc.flushStats(last);
    if (last.length) yield last;
    proc.finish();
    st.bytes = this.src.bytes();
    st.warnings.push(...this.src.warnings);
    st.complete = true;
  }
}
