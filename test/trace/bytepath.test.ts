/**
 * The reader's byte fast path (parseEventBytes, Emitter.handleBytes, field decoding from bytes)
 * must give exactly what the general text path gives: the same line parse, the same decoded
 * values, the same events and statistics for whole real traces.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ourTraces } from './helpers.ts';
import { mutatedLine } from './generators.ts';
import { readTrace } from '../../src/trace/index.ts';
import { readText } from './helpers.ts';
import { builtinProbeMap } from '../../src/trace/index.ts';
import { newParsedLine, parseEventBytes, parseEventLine, LineShape } from '../../src/trace/lineparse.ts';
import { decodeNumber, decodePointer, numberFromBytes, pointerFromBytes } from '../../src/trace/decode.ts';
import type { Radix } from '../../src/trace/probemap.ts';

const traceFiles = readdirSync(ourTraces).filter((f) => /(?:ftrace|trace)\.txt$/.test(f));
const ALL_LINES = traceFiles.flatMap((f) => readFileSync(join(ourTraces, f), 'latin1').split(/\r?\n/).filter((l) => l.length)).slice(0, 20000);

const FIELDS = ['taskStart', 'taskEnd', 'pid', 'tgid', 'cpu', 'flagsStart', 'flagsEnd', 'tsStart', 'tsEnd', 'evStart', 'evEnd', 'body', 'symStart', 'symEnd', 'arrow', 'args'] as const;

/** Real lines, mutated: byte flips, cuts, inserted text (ASCII only: the fast path sees ASCII chunks only). */
const line = mutatedLine(ALL_LINES);

describe('parseEventBytes', () => {
  it('parses a line exactly as parseEventLine does, or leaves it to it', () => {
    fc.assert(
      fc.property(line, fc.nat(7), (s, pad) => {
        // The line sits inside a larger buffer (neighbouring lines), as in a chunk.
        const buf = Buffer.from('x'.repeat(pad) + s + '\nnext: line', 'latin1');
        const a = newParsedLine();
        const b = newParsedLine();
        const fast = parseEventBytes(buf, pad, pad + s.length, a);
        const shape = parseEventLine(s, b);
        if (!fast) return;
        expect(shape).toBe(LineShape.Event);
        for (const f of FIELDS) expect([f, a[f]]).toEqual([f, b[f]]);
        expect(a.ts).toBe(b.ts);
        expect(a.event).toBe(b.event);
        expect(a.task).toBe(b.task);
        expect(a.s).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the usual lines of the real traces', () => {
    const pl = newParsedLine();
    const events = ALL_LINES.filter((s) => parseEventLine(s, newParsedLine()) === LineShape.Event && !/^\s*\S.*\(\s*[\d-]+\)\s*\[/.test(s));
    const taken = events.filter((s) => parseEventBytes(Buffer.from(s, 'latin1'), 0, s.length, pl));
    expect(events.length).toBeGreaterThan(1000);
    expect(taken.length).toBe(events.length);
  });
});

describe('decoding from bytes', () => {
  const radixes: Radix[] = ['hex', 'dec', 'auto'];
  const value = fc.oneof(
    fc.stringMatching(/^[0-9a-f]{1,16}$/),
    fc.stringMatching(/^0x[0-9a-fA-F]{0,16}$/),
    fc.stringMatching(/^-?[0-9]{1,19}$/),
    fc.stringMatching(/^[0-9A-Fa-fxX(). -]{0,12}$/),
    fc.constantFrom('0', '00', '0x0', 'ffff88001e400040', 'FFFF88001E400040', '(fault)', '', '-1'),
  );
  it('numbers and pointers are what the text decoders give', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(...radixes), fc.nat(5), (v, radix, pad) => {
        const buf = Buffer.from('='.repeat(pad) + v + ' z=1', 'latin1');
        expect(numberFromBytes(buf, pad, pad + v.length, radix)).toBe(decodeNumber(v, radix));
        expect(pointerFromBytes(buf, pad, pad + v.length, radix)).toBe(decodePointer(v, radix));
        // Twice: the second answer comes from the pointer cache.
        expect(pointerFromBytes(buf, pad, pad + v.length, radix)).toBe(decodePointer(v, radix));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('whole traces', () => {
  it.each(traceFiles)('%s: the byte path gives the events and statistics of the text path', async (f) => {
    const path = join(ourTraces, f);
    const fast = await readTrace(path);
    const text = await readTrace(path, { textPath: true });
    expect(fast.events.length).toBe(text.events.length);
    expect(fast.events).toEqual(text.events);
    expect(fast.stats).toEqual(text.stats);
  });
});

describe('a probe that alternates between layouts', () => {
  // dst_check_ret of the 3.0 seed map, with the route MTU fields printed on some lines only (as a
  // kernel prints them when the probe was defined twice, or a trace joins two captures), and
  // arguments the map does not read, moved and dropped.
  const ret = 'ret=ffff88001f881000 peer=ffff88001e410000 rt_pgenid=1 g=1';
  const layouts = [
    `${ret} gw=100000a flags=0`,
    `${ret} gw=100000a flags=0 metrics=ffffffff81429b81 mtu_k=0 mtu_k1=0 dev_mtu=5dc`,
    `${ret}`,
    `${ret} flags=0 gw=100000a`,
    `${ret} gw=100000a flags=0 extra=7`,
    `${ret} gw=100000a junk flags=0`,
  ];
  const head = (i: number) => `       smpwl-200 [000]   100.${String(i).padStart(6, '0')}: `;
  it('reads every line as the text path does, whichever layout came before (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(layouts.length - 1), { minLength: 1, maxLength: 40 }), async (order) => {
        const lines = ['# tracer: nop', '#'];
        order.forEach((k, i) => {
          lines.push(`${head(2 * i)}dst_check: (ipv4_dst_check+0x0/0x1c0) rt=ffff88001f881000 peer=ffff88001e410000 rt_pgenid=1 g=1 dst=500010a gw=100000a flags=0 obsolete=-1`);
          lines.push(`${head(2 * i + 1)}dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ${layouts[k]}`);
        });
        const text = `${lines.join('\n')}\n`;
        const opts = { probeMap: builtinProbeMap('linux-3.0-seed') };
        const fast = await readText(text, opts);
        const slow = await readText(text, { ...opts, textPath: true });
        expect(fast.events).toEqual(slow.events);
        expect(fast.stats).toEqual(slow.stats);
        expect(fast.events.length).toBe(2 * order.length);
      }),
      { numRuns: 150 },
    );
  });
});
