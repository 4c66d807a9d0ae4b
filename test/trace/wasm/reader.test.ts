/**
 * The contract of the compiled scanner: a trace read with it gives exactly what the JavaScript
 * scanner (PEERPROP_TRACE_SCANNER=js, the reference) gives: the same events and the same read
 * statistics (skip counts and their line lists, warnings, gaps, malformed reasons, probe hits),
 * or the same error; on every real trace, and on real traces damaged and random trace-like
 * input, fed in chunks of random sizes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readTrace } from '../../../src/trace/index.ts';
import { scannerKind } from '../../../src/trace/wasm/scanner.ts';
import { ourTraces, sharedTraces } from '../helpers.ts';
import { chunked, traceLikeInput } from './inputs.ts';

type Read = { events: unknown[]; stats: unknown } | { error: string };

async function readWith(scanner: 'js' | 'wasm', chunks: Buffer[] | string): Promise<Read> {
  const saved = process.env.PEERPROP_TRACE_SCANNER;
  if (scanner === 'js') process.env.PEERPROP_TRACE_SCANNER = 'js';
  else delete process.env.PEERPROP_TRACE_SCANNER;
  try {
    expect(scannerKind().kind).toBe(scanner);
    // Copies: the reader may keep a chunk while the next one is read.
    const opts = typeof chunks === 'string' ? {} : { name: 'test.trace', input: Readable.from(chunks.map((c) => Buffer.from(c))) };
    const r = await readTrace(typeof chunks === 'string' ? chunks : '-', opts);
    return { events: r.events, stats: r.stats };
  } catch (e) {
    return { error: String((e as Error).message) };
  } finally {
    if (saved === undefined) delete process.env.PEERPROP_TRACE_SCANNER;
    else process.env.PEERPROP_TRACE_SCANNER = saved;
  }
}

async function same(chunks: Buffer[] | string): Promise<Read> {
  const js = await readWith('js', chunks);
  const wasm = await readWith('wasm', chunks);
  expect(wasm).toEqual(js);
  return js;
}

const traceFiles = readdirSync(ourTraces).filter((f) => /\.(txt|log)$/.test(f));
const TRACES = traceFiles.map((f) => readFileSync(join(ourTraces, f)));

/** A real trace with damaged and random lines put in at random line starts. */
const damagedTrace = fc
  .tuple(fc.constantFrom(...TRACES.keys()), fc.array(fc.tuple(fc.nat(), traceLikeInput), { maxLength: 4 }), fc.boolean())
  .map(([t, inserts, cutEnd]) => {
    let b = TRACES[t]!;
    for (const [at, ins] of inserts) {
      // at a line start
      let i = b.length ? at % b.length : 0;
      while (i > 0 && b[i - 1] !== 10) i--;
      b = Buffer.concat([b.subarray(0, i), ins, Buffer.from('\n'), b.subarray(i)]);
    }
    return cutEnd ? b.subarray(0, b.length - 1 - (inserts.length % 7)) : b;
  });

/** Random trace-like lines after the head of a real trace (which decides the format and probe map). */
const headed = fc.tuple(fc.constantFrom(...TRACES.keys()), fc.nat(40), traceLikeInput).map(([t, n, body]) => {
  const lines = TRACES[t]!.toString('latin1').split('\n');
  return Buffer.concat([Buffer.from(lines.slice(0, n).join('\n') + '\n', 'latin1'), body]);
});

const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 5 });

describe('reading with the compiled scanner', () => {
  it('gives the JavaScript scanner\'s events and statistics on every real trace', async () => {
    const dirs = [ourTraces, ...(existsSync(sharedTraces) ? [sharedTraces] : [])];
    let events = 0;
    for (const dir of dirs) {
      for (const f of readdirSync(dir).filter((x) => /\.(txt|log)$/.test(x))) {
        const r = await same(join(dir, f));
        if ('events' in r) events += r.events.length;
      }
    }
    expect(events).toBeGreaterThan(1000);
  });

  it('gives the same on damaged real traces, in chunks of random sizes', async () => {
    await fc.assert(fc.asyncProperty(damagedTrace, sizes, async (input, s) => void (await same(chunked(input, s)))), { numRuns: 150 });
  });

  it('gives the same on random trace-like input after a real trace\'s head, in chunks of random sizes', async () => {
    await fc.assert(fc.asyncProperty(headed, sizes, async (input, s) => void (await same(chunked(input, s)))), { numRuns: 300 });
  });

  it('reads event lines after a refused probe and inside the dynamic events list as the JavaScript path does', async () => {
    // What the line processor carries from line to line decides how an event line is read there.
    const lines = TRACES.flatMap((t) => t.toString('latin1').split('\n'));
    const head = lines.slice(0, 6).join('\n');
    const events = lines.filter((l) => / \[\d+\] .*: \w+: \(/.test(l)).slice(0, 3).join('\n');
    const fail = '@@PROBE_FAIL p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires';
    const errorLog = '[    2.706670] trace_kprobe: error: Invalid fetch argument\n  Command: p:rtgf/fnhe_k x\n     ^';
    for (const body of [
      `${fail}\n${events}\n${errorLog}\n${events}`,
      `${fail}\n${errorLog}\n${events}\n${errorLog}`,
      `@@DYNAMIC_EVENTS_BEGIN\n${events}\np:rtg/dst_check ipv4_dst_check dst=%di:x64\n@@DYNAMIC_EVENTS_END\n${events}`,
    ]) {
      const r = await same([Buffer.from(`${head}\n${body}\n`, 'latin1')]);
      expect('events' in r && r.events.length).toBeGreaterThan(0);
    }
  });

  it('gives the same on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), sizes, async (u, s) => void (await same(chunked(Buffer.from(u), s)))),
      { numRuns: 150 },
    );
  });
});
