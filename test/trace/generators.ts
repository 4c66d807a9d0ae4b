/**
 * Trace text for the reader's tests, shared by the tests that compare two ways of reading it
 * (byte and text path, compiled and JavaScript scanner, one reader and threads or chunks).
 */
import fc from 'fast-check';
import { generateEvents } from '../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../src/trace/render.ts';

/** Punctuation and characters of an ftrace line: what a mutation inserts. */
export const LINE_UNITS = [' ', '[', ']', '-', ':', '(', ')', '<', '.', '=', 'a', '0', '9'] as const;

/**
 * One of `lines`, mutated up to three times: a byte flipped (to printable ASCII), the line cut, a
 * short string of `units` inserted, or a few characters deleted.
 */
export function mutatedLine(lines: readonly string[], units: readonly string[] = LINE_UNITS): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 5, unit: fc.constantFrom(...units) })), { maxLength: 3 }))
    .map(([l, muts]) => {
      let s = l;
      for (const [pos, op, str] of muts) {
        const i = s.length ? pos % s.length : 0;
        if (op === 0) s = s.slice(0, i) + String.fromCharCode(32 + ((s.charCodeAt(i) + pos) % 95)) + s.slice(i + 1);
        else if (op === 1) s = s.slice(0, i);
        else if (op === 2) s = s.slice(0, i) + str + s.slice(i);
        else s = s.slice(0, i) + s.slice(i + 1 + (pos % 4));
      }
      return s;
    });
}

/** A generated seed-era trace on `cpus` CPUs, with lost-event lines, markers and noise. */
export function generatedTrace(seed: number, count: number, cpus: number): string {
  const r = new SeedTextRenderer();
  const lines: string[] = [];
  let i = 0;
  for (const e of generateEvents('pmtu-redirect', { seed, count })) {
    const text = r.render(e).replace(/ \[000\] /g, () => ` [${String(i++ % cpus).padStart(3, '0')}] `);
    lines.push(text);
    if (i % 97 === 0) lines.push(`CPU:${i % cpus} [LOST ${i % 7 + 1} EVENTS]\n`);
    if (i % 131 === 0) lines.push('this line is not a trace line\n');
  }
  return SEED_TEXT_HEADER + lines.join('');
}
