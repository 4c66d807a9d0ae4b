/**
 * The line scanners alone (`npm run bench -- cutter`): cutting a trace into lines and taking the
 * usual event lines apart, with nothing after it (no plan lookup, no decoding, no events), on the
 * trace bench's generated file (PEERPROP_BENCH_TRACE_MB, default 200; generated once, kept):
 *   - reading the file only (the part every scanner pays),
 *   - the JavaScript scanner: LineCutter, and parseEventBytes where LineProcessor calls it,
 *   - the compiled scanner (src/trace/wasm): one call per chunk, each event line's columns then
 *     filled into a ParsedLine as LineProcessor has them filled,
 * each the best of a few passes, in CPU seconds per 100 MB. The whole reader's figures with
 * either scanner are the trace bench's (`parse only` / `parse, JS scanner`).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineCutter } from '../src/trace/line-cutter.ts';
import { newParsedLine, parseEventBytes } from '../src/trace/lineparse.ts';
import { newLineScanner, type ScannedLines } from '../src/trace/wasm/scanner.ts';
import { generate } from './trace.bench.ts';

const PASSES = 3;
/** The reader's chunk size for a regular file (source.ts). */
const CHUNK = 1 << 20;

interface Count {
  lines: number;
  events: number;
}

class JsScanner extends LineCutter {
  readonly n: Count = { lines: 0, events: 0 };
  private readonly pl = newParsedLine();
  feed(b: Buffer): void {
    this.cut(b);
  }
  done(): void {
    this.cutEnd();
  }
  protected line(buf: Buffer, a: number, e: number, ascii: boolean): void {
    this.n.lines++;
    if (e > a && buf[e - 1] === 13) e--;
    if (e === a || !ascii) return;
    const c0 = buf[a];
    if (c0 !== 35 && c0 !== 64 && parseEventBytes(buf, a, e, this.pl)) this.n.events++;
  }
  protected longLine(): void {
    this.n.lines++;
  }
  protected unfinishedLine(): void {
    this.n.lines++;
  }
}

/** One pass over the file: CPU seconds and what was found. */
function pass(file: string, which: 'read' | 'js' | 'wasm'): { cpu: number; n: Count } {
  const js = new JsScanner();
  const sc = newLineScanner();
  if (which === 'wasm' && sc === undefined) throw new Error('the compiled scanner is not available (PEERPROP_TRACE_SCANNER=js?)');
  const pl = newParsedLine();
  const n: Count = { lines: 0, events: 0 };
  const sink: ScannedLines = {
    line: () => void n.lines++,
    scannedEvent: () => {
      n.lines++;
      n.events++;
      sc!.fill(pl);
    },
    longLine: () => void n.lines++,
    unfinishedLine: () => void n.lines++,
  };
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const c0 = process.cpuUsage();
  for (;;) {
    const k = readSync(fd, buf, 0, CHUNK, null);
    if (k <= 0) break;
    const b = k === CHUNK ? buf : buf.subarray(0, k);
    if (which === 'js') js.feed(b);
    else if (which === 'wasm') sc!.chunk(b, sink);
  }
  if (which === 'js') js.done();
  else if (which === 'wasm') sc!.end(sink);
  const cu = process.cpuUsage(c0);
  closeSync(fd);
  return { cpu: (cu.user + cu.system) / 1e6, n: which === 'js' ? js.n : n };
}

export async function run(): Promise<void> {
  const mb = Number(process.env.PEERPROP_BENCH_TRACE_MB ?? 200);
  const file = join(tmpdir(), `peerprop-bench-trace-3.0-v2-${mb}MB.txt`);
  if (!existsSync(file) || statSync(file).size < mb * 1e6) await generate(file, mb * 1e6);
  const size = statSync(file).size / 1e6;
  process.stdout.write(`${file}, ${size.toFixed(0)} MB; best of ${PASSES} passes, CPU seconds per 100 MB\n`);
  const found: Count[] = [];
  for (const [which, label] of [['read', 'read only'], ['js', 'JS scanner'], ['wasm', 'compiled scanner']] as const) {
    let best = Infinity;
    let n: Count = { lines: 0, events: 0 };
    for (let i = 0; i < PASSES; i++) {
      const r = pass(file, which);
      best = Math.min(best, r.cpu);
      n = r.n;
    }
    if (which !== 'read') found.push(n);
    process.stdout.write(
      `${label.padEnd(17)} ${((best * 100) / size).toFixed(3)} s` + (which === 'read' ? '\n' : ` (${n.lines} lines, ${n.events} taken apart)\n`),
    );
  }
  if (found[0]!.lines !== found[1]!.lines || found[0]!.events !== found[1]!.events) {
    process.stdout.write('the two scanners found different lines: see test/trace/wasm\n');
  }
}
