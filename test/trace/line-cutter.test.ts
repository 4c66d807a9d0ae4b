/**
 * Cutting bytes into lines: however the input is split into chunks, the same lines come out, in
 * order, and a line said to be ASCII is (the byte path reads only those); an overlong line is dropped and counted once; the
 * input's last bytes without a newline are handed on as an unfinished line.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineCutter, MAX_LINE } from '../../src/trace/line-cutter.ts';

type Cut = ['line', string] | ['long'] | ['unfinished', string];

const isAsciiText = (t: string): boolean => !/[^\x00-\x7f]/.test(t);

class Collect extends LineCutter {
  readonly got: Cut[] = [];
  /** Lines said to be ASCII that are not. */
  readonly notAscii: string[] = [];
  feed(chunks: Buffer[]): Cut[] {
    // The source reuses its buffer: overwrite each chunk once it was given.
    for (const c of chunks) {
      const copy = Buffer.from(c);
      this.cut(copy);
      copy.fill(0x21);
    }
    this.cutEnd();
    return this.got;
  }
  protected line(buf: Buffer, a: number, e: number, ascii: boolean): void {
    const text = buf.toString('latin1', a, e);
    if (ascii && !isAsciiText(text)) this.notAscii.push(text);
    this.got.push(['line', text]);
  }
  protected longLine(): void {
    this.got.push(['long']);
  }
  protected unfinishedLine(line: Buffer): void {
    this.got.push(['unfinished', line.toString('latin1')]);
  }
}

/** The lines a whole input holds, cut at once. */
function expected(input: Buffer): Cut[] {
  const out: Cut[] = [];
  const text = input.toString('latin1');
  const parts = text.split('\n');
  const last = parts.pop()!;
  for (const p of parts) out.push(['line', p]);
  if (last !== '') out.push(['unfinished', last]);
  return out;
}

function split(input: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(input.subarray(from, c));
    from = c;
  }
  out.push(input.subarray(from));
  return out;
}

describe('LineCutter', () => {
  it('gives the same lines for any split of the input into chunks', () => {
    const line = fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')), fc.constant(''), fc.constant('caf\u00e9'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (lines, endNl, cuts) => {
        const input = Buffer.from(lines.join('\n') + (endNl && lines.length ? '\n' : ''), 'latin1');
        const c = new Collect();
        expect(c.feed(split(input, cuts))).toEqual(expected(input));
        expect(c.notAscii).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('drops a line longer than MAX_LINE up to its end, once, and reads on', () => {
    const long = Buffer.alloc(MAX_LINE + 10, 0x61);
    const input = Buffer.concat([Buffer.from('a\n'), long, Buffer.from('\nb\n')]);
    const chunks = split(input, [1000, 70_000, MAX_LINE, MAX_LINE + 5]);
    expect(new Collect().feed(chunks)).toEqual([['line', 'a'], ['long'], ['line', 'b']]);
    // Still inside it when the input ends: counted all the same.
    expect(new Collect().feed([Buffer.from('a\n'), long])).toEqual([['line', 'a'], ['long']]);
  });
});
