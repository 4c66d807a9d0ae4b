/**
 * Property tests: random and mutated lines never make the reader throw, every line is counted
 * once, and events keep the line numbers of the lines they came from.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readText, ourTraces } from './helpers.ts';
import { builtinProbeMaps, type TraceReadStats } from '../../src/trace/index.ts';
import { compressionOf } from '../../src/trace/decompress.ts';
import { PeerpropError } from '../../src/core/errors.ts';

const REAL = [
  'linux-3.0.1_run1-s1.ftrace.txt',
  '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt',
  '6.1.0-56-cloud-amd64.pmtu-pmtu_ipv4_exception.trace.txt',
].map((f) => readFileSync(join(ourTraces, f), 'latin1').split(/\r?\n/).filter((l) => l.length));
const ALL_LINES = REAL.flat();
const seedMap = builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed')!;
const modernMap = builtinProbeMaps().find((m) => m.name === 'debian-6.1-rtg')!;

/** A mutation of a real line: byte flips, truncation, insertion of garbage, duplication. */
const mutatedLine = fc.tuple(fc.constantFrom(...ALL_LINES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 4 }), fc.string({ maxLength: 6 })), { maxLength: 4 }))
  .map(([line, muts]) => {
    let s = line;
    for (const [pos, op, str] of muts) {
      const i = s.length ? pos % s.length : 0;
      if (op === 0) s = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) ^ (1 << (pos % 7))) & 0x7f) + s.slice(i + 1);
      else if (op === 1) s = s.slice(0, i);
      else if (op === 2) s = s.slice(0, i) + str + s.slice(i);
      else if (op === 3) s = s.slice(0, i) + s.slice(i + 1 + (pos % 5));
      else s = s + ' ' + str;
    }
    return s;
  });

const anyLine = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ALL_LINES) },
  { weight: 4, arbitrary: mutatedLine },
  { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('CPU:0 [LOST 3 EVENTS]', '##### CPU 1 buffer started ####', ' => foo', '#', '', '@@PROBE_FAIL p:x/y z', '@@TRACE_BEGIN', 'CPU:1 [EVENTS DROPPED]', '{"kind":"check"}') },
);

function lineOfEvents(text: string, events: { line: number }[], lines: number): void {
  for (const e of events) {
    expect(Number.isInteger(e.line)).toBe(true);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines);
  }
  void text;
}

describe('the reader never throws and counts every line', () => {
  it('on random mixtures of real, mutated and garbage lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyLine, { maxLength: 60 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom(undefined, seedMap, modernMap), async (lines, eol, probeMap) => {
        const text = lines.join(eol);
        const { events, stats } = await readText(text, { probeMap });
        const expectedLines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        expect(stats.lines).toBe(expectedLines);
        lineOfEvents(text, events, stats.lines);
        expect(stats.events).toBe(events.length);
        const byKind = Object.values(stats.eventsByKind).reduce((a, b) => a + b, 0);
        expect(byKind).toBe(events.length);
        // A line is skipped for one reason, or produced events / was paired.
        const skipped = Object.values(stats.skipped).reduce((a, s) => a + s.count, 0);
        expect(skipped + stats.eventLines).toBe(stats.lines);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps line numbers: each real event line gives events with its own number, whatever surrounds it', async () => {
    const seedLines = REAL[0]!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(...seedLines), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''))), { minLength: 1, maxLength: 40 }), async (lines) => {
        const { events } = await readText(lines.join('\n'), { probeMap: seedMap });
        for (const e of events) {
          const src = lines[e.line - 1]!;
          // The event's own line (or, for a bind reported at its getpeer entry, that entry).
          expect(src.includes(`${e.probe}:`) || src.includes('getpeer:') || e.kind === 'marker').toBe(true);
          if (e.kind === 'marker') expect(src).toContain(e.text!.slice(0, 20));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('real lines reordered: same number of lines, never throws, events only from event lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(REAL[1]!, { minLength: 1, maxLength: 80 }), async (lines) => {
        const { events, stats } = await readText(lines.join('\r\n'));
        expect(stats.lines).toBe(lines.length);
        for (const e of events) expect(lines[e.line - 1]!.startsWith('@@')).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('arbitrary bytes never throw; behind a gzip header they are a damaged container (bad input, exit 2), never a partial read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (bytes, gz) => {
        const buf = Buffer.from(bytes);
        const input = gz ? Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), buf]) : buf;
        const got = await readText(input).then(({ stats }) => stats, (e: unknown) => e);
        if (compressionOf(input) === undefined) {
          expect((got as TraceReadStats).complete).toBe(true);
          return;
        }
        // Random bytes are not a gzip stream whose CRC and length match: the read fails whole.
        expect(got).toBeInstanceOf(PeerpropError);
        expect((got as PeerpropError).exitCode).toBe(2);
        expect((got as PeerpropError).message).toMatch(/^(gzip|xz|zstd|bzip2|lz4) data .* at byte \d+/);
      }),
      { numRuns: 100 },
    );
  });
});
