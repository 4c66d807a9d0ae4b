/**
 * The compiled scanner (src/trace/wasm) against the JavaScript reference, line by line: for any
 * input cut into chunks of any sizes, the same lines in the same order as LineCutter gives
 * (overlong lines dropped once, the unfinished last line handed on), each said to be ASCII
 * exactly when it is, and for each line it takes apart the very ParsedLine parseEventBytes
 * fills in (bit-identical timestamp, same hashes); the ASCII lines it hands on whole are those
 * parseEventBytes refuses (or that start with `#`/`@`).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAscii } from 'node:buffer';
import { LineCutter, MAX_LINE } from '../../../src/trace/line-cutter.ts';
import { newParsedLine, parseEventBytes, type ParsedLine } from '../../../src/trace/lineparse.ts';
import { newLineScanner, scannerKind, type LineScanner, type ScannedLines } from '../../../src/trace/wasm/scanner.ts';
import { chunked, traceLikeInput } from './inputs.ts';

/** What a cutter handed on: a line (with its parse, when taken apart), an overlong line, the unfinished end. */
type Cut = ['line', string, string | null] | ['long'] | ['unfinished', string];

const FIELDS = [
  'base', 'len', 'taskStart', 'taskEnd', 'pid', 'tgid', 'cpu', 'flagsStart', 'flagsEnd', 'tsStart', 'tsEnd', 'tsv',
  'evStart', 'evEnd', 'evOverride', 'evHash', 'callerHash', 'body', 'symStart', 'symEnd', 'arrow', 'args',
] as const;

/** A ParsedLine's fields (positions relative to the line; the timestamp's bits). */
function fields(pl: ParsedLine, lineStart: number): string {
  const o: Record<string, unknown> = {};
  for (const f of FIELDS) o[f] = f === 'base' ? pl.base - lineStart : f === 'tsv' ? Buffer.from(new Float64Array([pl.tsv]).buffer).toString('hex') : pl[f];
  o.s = pl.s;
  return JSON.stringify(o);
}

/** The reference: LineCutter, and parseEventBytes where LineProcessor would call it. */
class JsCuts extends LineCutter {
  readonly got: Cut[] = [];
  private readonly pl = newParsedLine();
  feed(chunks: Buffer[]): Cut[] {
    for (const c of chunks) {
      const copy = Buffer.from(c);
      this.cut(copy);
      copy.fill(0x21); // the source reuses its buffer
    }
    this.cutEnd();
    return this.got;
  }
  protected line(buf: Buffer, a: number, e: number): void {
    // The ASCII flag of the JavaScript cutter is the chunk's: the line's own is what counts here.
    const text = buf.toString('latin1', a, e);
    if (e > a && buf[e - 1] === 13) e--;
    const c0 = buf[a];
    const ascii = isAscii(buf.subarray(a, e));
    const parsed = e > a && ascii && c0 !== 35 && c0 !== 64 && parseEventBytes(buf, a, e, this.pl) ? fields(this.pl, a) : null;
    this.got.push(['line', text, parsed]);
  }
  protected longLine(): void {
    this.got.push(['long']);
  }
  protected unfinishedLine(line: Buffer): void {
    this.got.push(['unfinished', line.toString('latin1')]);
  }
}

/** The same through the compiled scanner. */
class WasmCuts implements ScannedLines {
  readonly got: Cut[] = [];
  readonly wrongAscii: string[] = [];
  private readonly pl = newParsedLine();
  private readonly sc: LineScanner = newLineScanner()!;
  feed(chunks: Buffer[]): Cut[] {
    for (const c of chunks) {
      const copy = Buffer.from(c);
      this.sc.chunk(copy, this);
      copy.fill(0x21);
    }
    this.sc.end(this);
    return this.got;
  }
  line(buf: Buffer, a: number, e: number, ascii: boolean): void {
    const text = buf.toString('latin1', a, e);
    if (ascii !== isAscii(buf.subarray(a, e))) this.wrongAscii.push(text);
    this.got.push(['line', text, null]);
  }
  scannedEvent(buf: Buffer, a: number, e: number): void {
    // The line as the cutter hands it on includes its CR (e is after it here).
    const withCr = buf[e] === 13 ? e + 1 : e;
    this.sc.fill(this.pl);
    this.got.push(['line', buf.toString('latin1', a, withCr), fields(this.pl, a)]);
  }
  longLine(): void {
    this.got.push(['long']);
  }
  unfinishedLine(line: Buffer): void {
    this.got.push(['unfinished', line.toString('latin1')]);
  }
}

function bothAgree(chunks: Buffer[]): void {
  const js = new JsCuts().feed(chunks);
  const w = new WasmCuts();
  const got = w.feed(chunks);
  expect(w.wrongAscii).toEqual([]);
  expect(got).toEqual(js);
}

describe('the compiled line scanner', () => {
  it('is the one a trace is read with (unless PEERPROP_TRACE_SCANNER=js)', () => {
    expect(scannerKind()).toEqual({ kind: 'wasm' });
  });

  it('cuts and takes apart trace-like and damaged input as LineCutter and parseEventBytes do, for any chunk sizes', () => {
    fc.assert(
      fc.property(traceLikeInput, fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }), (input, sizes) => {
        bothAgree(chunked(input, sizes));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on random bytes', () => {
    const bytes = fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u));
    const few = fc.array(fc.constantFrom(10, 13, 32, 91, 93, 58, 45, 40, 41, 60, 46, 48, 49, 0, 0x80, 0xc3), { maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(bytes, few), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }), (input, sizes) => {
        bothAgree(chunked(input, sizes));
      }),
      { numRuns: 1500 },
    );
  });

  it('reads numbers beyond 2^53 as JavaScript does (the same roundings, in the same order)', () => {
    const big = fc.stringMatching(/^[1-9][0-9]{14,19}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(big, big, big, fc.stringMatching(/^[0-9]{1,20}$/)), { minLength: 1, maxLength: 20 }), (rows) => {
        const text = rows.map(([pid, cpu, int, frac]) => `t-${pid} [${cpu}] ${int}.${frac}: e: (f+0/1) a=1\n`).join('');
        bothAgree([Buffer.from(text)]);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts every line at every chunk boundary the same', () => {
    const input = Buffer.from(
      '  <idle>-0     [001]  1234.567890: dst_check: (dst_check+0x0/0x20) dst=ffff8800\r\n' +
        'ip-1234 [000] d.h1 99.000001: r_dst_check: (ip_route_output+0x12/0x40 <- dst_check) arg1=0x0\n\n\r\n' +
        '#comment\ncaf\u00e9-12 [000] 1.0: x: y\nt-2 [000] 1.5: e: (f)x\nt-3 [000] 1.5: e: (a <- b)\nt-4 [000] 1.5: e: (a <- )\n' +
        't-5 [000] 1.5: e: (a) \nt-6 [000] 1.5: e: (a <- b)) x=1\nlast-1 [002] 3.5: tail',
      'utf8',
    );
    for (let size = 1; size <= input.length; size++) bothAgree(chunked(input, [size]));
    for (let at = 0; at <= input.length; at++) bothAgree([input.subarray(0, at), input.subarray(at)]);
  });

  it('drops a line longer than MAX_LINE only where the JavaScript cutter does (at a chunk end), once', () => {
    const line = (n: number, c = 0x61): Buffer => Buffer.alloc(n, c);
    const nl = Buffer.from('\n');
    const ev = Buffer.from('t-1 [000] 1.5: e: (f+0/1) a=1\n');
    const cases: Buffer[][] = [
      // exactly MAX_LINE carried (kept), one more (dropped)
      [ev, line(MAX_LINE), nl, ev],
      [ev, line(MAX_LINE + 1), nl, ev],
      // a long line inside one large chunk is a line; split at its middle, it is dropped
      [Buffer.concat([ev, line(MAX_LINE + 5), nl, ev])],
      [Buffer.concat([ev, line(MAX_LINE / 2)]), Buffer.concat([line(MAX_LINE / 2 + 5), nl, ev])],
      // the input ends inside a dropped line, or in a long unfinished one
      [ev, line(MAX_LINE + 3)],
      [ev, line(MAX_LINE - 3)],
      // a chunk far larger than the scanner's slices, with lines across its slice boundaries
      [Buffer.concat(Array.from({ length: 40_000 }, (_, i) => Buffer.from(`t-${i} [00${i % 4}] ${i}.${i % 7}: e${i % 3}: (f+0/1 <- g) a=${'x'.repeat(i % 97)}\n`)))],
      // many short lines in one chunk (more than one table of records)
      [Buffer.alloc(3 * 4096 + 17, 10)],
      // a non-ASCII byte inside a carried line
      [Buffer.from('t-1 [000] 1.5: e: a'), Buffer.from([0xc3, 0xa9]), Buffer.from(' b\nt-1 [000] 1.5: e: a\n')],
    ];
    for (const chunks of cases) bothAgree(chunks);
    // A line longer than the scanner's memory first holds, inside one chunk: the memory grows.
    bothAgree([Buffer.concat([ev, line(5 * MAX_LINE, 0x62), nl, ev, line(10)])]);
    bothAgree([line(3 * MAX_LINE, 0x20), nl]);
  });
});
