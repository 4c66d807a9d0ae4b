/**
 * The compiled line scanner (scan.c, built into scan.wasm by `npm run build:wasm`): cuts a chunk
 * of input into lines and takes the usual ftrace event lines apart, in WebAssembly, in one call
 * per chunk, where LineCutter and parseEventBytes do it line by line in JavaScript. The
 * JavaScript path stays the reference (PEERPROP_TRACE_SCANNER=js selects it): for every line it
 * hands on the same bytes, and for every line parseEventBytes would accept the same ParsedLine
 * fields (test/trace/wasm/ reads traces through both). It says a line is ASCII when the line is
 * (the JavaScript cutter: when its whole chunk is), so a non-ASCII line sends only itself to the
 * text path; both paths give the same events.
 *
 * Each chunk is copied into the module's memory once; lines are handed on as ranges of a Buffer
 * view of that memory, valid until the next chunk (as the JavaScript cutter's ranges of a
 * source buffer that is reused). Memory grows only for a line longer than it can hold (a line
 * inside one large chunk), and a grown memory gets new views.
 */
import { readFileSync } from 'node:fs';
import { MAX_LINE } from '../line-cutter.ts';
import type { ParsedLine } from '../lineparse.ts';

/** Where the scanner's lines go (the line processor). */
export interface ScannedLines {
  /** A line as LineCutter hands it on: buf[a..e) without its newline (with its CR). */
  line(buf: Buffer, a: number, e: number, ascii: boolean): void;
  /**
   * An ASCII line buf[a..e) (without its CR) that parseEventBytes accepts and that does not start
   * with `#` or `@`: its fields are filled into a ParsedLine by fill(), when wanted.
   */
  scannedEvent(buf: Buffer, a: number, e: number): void;
  /** A line longer than MAX_LINE was dropped. */
  longLine(): void;
  /** The input ended inside this line. */
  unfinishedLine(line: Buffer): void;
}

// The few WebAssembly API types used here (the project's `lib` has no DOM, where they live).
interface WasmModule {
  readonly kind?: 'module';
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { exports: unknown };
};

interface ScanExports {
  memory: { buffer: ArrayBuffer };
  records(): number;
  recordWords(): number;
  maxRecords(): number;
  init(maxLine: number): void;
  begin(n: number): number;
  scan(n: number, last: number): number;
  more(): number;
  tail(): number;
  finish(): number;
}

// Record layout (scan.c): kinds, and word / double indexes within a record.
const K_EVENT = 0;
const K_ASCII = 1;
const K_LONG = 3;
const WORDS = 24;
/** At most this many bytes of a chunk per scan (the rest in further slices). */
const SLICE = 1 << 20;

let compiled: WasmModule | null | undefined;
let loadError: string | undefined;

/** The compiled module, or null when it cannot be used (no WebAssembly, or scan.wasm unreadable). */
function wasmModule(): WasmModule | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      // Synchronous: it is 4 kB, beside this module (in src/, and in the compiled dist/ alike).
      if (typeof WebAssembly === 'object') compiled = new WebAssembly.Module(readFileSync(new URL('./scan.wasm', import.meta.url)));
      else loadError = 'this Node has no WebAssembly';
    } catch (e) {
      // The JavaScript path reads every trace the same way, only slower.
      loadError = `scan.wasm cannot be loaded (${(e as Error).message})`;
    }
  }
  return compiled;
}

/**
 * Which scanner a trace opened now is read with: 'wasm', or 'js' when PEERPROP_TRACE_SCANNER=js
 * asks for the JavaScript one (read at each trace opened) or the module cannot be loaded (`why`).
 */
export function scannerKind(): { kind: 'wasm' | 'js'; why?: string } {
  if (process.env.PEERPROP_TRACE_SCANNER === 'js') return { kind: 'js', why: 'PEERPROP_TRACE_SCANNER=js' };
  return wasmModule() === null ? { kind: 'js', why: loadError } : { kind: 'wasm' };
}

/** A new scanner for one trace, or undefined when the JavaScript path is to be used (scannerKind). */
export function newLineScanner(): LineScanner | undefined {
  if (process.env.PEERPROP_TRACE_SCANNER === 'js') return undefined;
  const m = wasmModule();
  if (m === null) return undefined;
  try {
    return new LineScanner(m);
  } catch (e) {
    // No memory for another instance (a RangeError; many traces open at once): this trace is
    // read by the JavaScript path, which gives the same events.
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

export class LineScanner {
  private readonly ex: ScanExports;
  private ab: ArrayBuffer;
  private u8: Buffer;
  private i32: Int32Array;
  private f64: Float64Array;
  private readonly recs: number;
  private readonly maxRecs: number;
  /** The record of the line being handed on (fill() reads it). */
  private cur = 0;

  constructor(m: WasmModule) {
    this.ex = new WebAssembly.Instance(m, {}).exports as unknown as ScanExports;
    if (this.ex.recordWords() !== WORDS) throw new Error('scan.wasm: record layout differs from scanner.ts (rebuild it: npm run build:wasm)');
    this.ex.init(MAX_LINE);
    this.recs = this.ex.records();
    this.maxRecs = this.ex.maxRecords();
    this.ab = this.ex.memory.buffer;
    this.u8 = Buffer.from(this.ab);
    this.i32 = new Int32Array(this.ab, this.recs, this.maxRecs * WORDS);
    this.f64 = new Float64Array(this.ab, this.recs, (this.maxRecs * WORDS) / 2);
  }

  /** Views of the memory as it is now (memory.grow detaches the old ones). */
  private views(): void {
    this.ab = this.ex.memory.buffer;
    this.u8 = Buffer.from(this.ab);
    this.i32 = new Int32Array(this.ab, this.recs, this.maxRecs * WORDS);
    this.f64 = new Float64Array(this.ab, this.recs, (this.maxRecs * WORDS) / 2);
  }

  /** Cut one chunk of input (any boundaries): its complete lines go to `to`, an unfinished one is kept. */
  chunk(buf: Buffer, to: ScannedLines): void {
    const ex = this.ex;
    const len = buf.length;
    let off = 0;
    for (;;) {
      const n = Math.min(len - off, SLICE);
      const at = ex.begin(n);
      if (at === 0) throw new Error('trace scanner: out of memory');
      if (ex.memory.buffer !== this.ab) this.views();
      if (n) this.u8.set(n === len ? buf : buf.subarray(off, off + n), at);
      off += n;
      const last = off >= len;
      // The overlong-line rule applies at the chunk's end only, as LineCutter applies it.
      let k = ex.scan(n, last ? 1 : 0);
      for (;;) {
        this.lines(k, to);
        if (k < this.maxRecs) break;
        k = ex.more();
      }
      if (last) return;
    }
  }

  private lines(k: number, to: ScannedLines): void {
    const I = this.i32;
    const u8 = this.u8;
    for (let r = 0; r < k; r++) {
      const w = r * WORDS;
      const kind = I[w]!;
      if (kind === K_EVENT) {
        this.cur = r;
        to.scannedEvent(u8, I[w + 1]!, I[w + 2]!);
      } else if (kind === K_LONG) to.longLine();
      else to.line(u8, I[w + 1]!, I[w + 2]!, kind === K_ASCII);
    }
  }

  /** End of input: a line still unfinished goes to unfinishedLine() (or longLine()). */
  end(to: ScannedLines): void {
    const n = this.ex.finish();
    if (n < 0) to.longLine();
    else if (n > 0) {
      const at = this.ex.tail();
      to.unfinishedLine(Buffer.from(this.u8.subarray(at, at + n)));
    }
    this.ex.init(MAX_LINE);
  }

  /** The current scannedEvent()'s columns into `pl`, exactly as parseEventBytes fills them. */
  fill(pl: ParsedLine): void {
    const I = this.i32;
    const F = this.f64;
    const w = this.cur * WORDS;
    const d = w >> 1;
    const a = I[w + 1]!;
    pl.s = '';
    pl.buf = this.u8;
    pl.base = a;
    pl.len = I[w + 2]! - a;
    pl.taskStart = I[w + 3]!;
    pl.taskEnd = I[w + 4]!;
    pl.pid = F[d + 10]!;
    pl.tgid = -1;
    pl.cpu = F[d + 11]!;
    pl.flagsStart = I[w + 5]!;
    pl.flagsEnd = I[w + 6]!;
    pl.tsStart = I[w + 7]!;
    pl.tsEnd = I[w + 8]!;
    pl.tsv = F[d + 9]!;
    pl.evOverride = undefined;
    pl.evStart = I[w + 9]!;
    pl.evEnd = I[w + 10]!;
    pl.evHash = I[w + 11]!;
    pl.callerHash = I[w + 17]!;
    pl.body = I[w + 12]!;
    pl.symStart = I[w + 13]!;
    pl.symEnd = I[w + 14]!;
    pl.arrow = I[w + 15]!;
    pl.args = I[w + 16]!;
  }
}
