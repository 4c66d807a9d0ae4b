/**
 * The chunked reader (a file split at line boundaries, read by several workers, events in order
 * on the main thread) gives what the single-thread reader gives: the same events (same class,
 * same own fields, in order), the same statistics (deep-equal, and the same JSON: key order
 * too), the same errors. Chunks are made tiny so that boundaries fall everywhere, inside open
 * calls too; with no warm-up every chunk that starts inside an open call is read again from the
 * true state, so that path runs. Most tests do the workers' reading on the test's thread
 * (`inThread`: the same reading, warm-up and column batches, without threads); some use real
 * worker threads.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { openTrace, type CanonicalEvent, type OpenTraceOptions, type TraceReader, type TraceReadStats } from '../../../src/trace/index.ts';
import { openChunked } from '../../../src/trace/parallel/chunks/open.ts';
import type { ChunkedOptions, ChunkedReader } from '../../../src/trace/parallel/chunks/reader.ts';
import { MAX_TASKS } from '../../../src/trace/emit.ts';
import { BatchDecoder } from '../../../src/trace/columns/batch.ts';
import { generateEvents } from '../../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../../src/trace/render.ts';
import { PeerpropError } from '../../../src/core/errors.ts';
import { ourTraces, sharedTraces, tmpFile } from '../helpers.ts';
import { generatedTrace as generated } from '../generators.ts';
import { emulate, FakeKallsyms } from '../printer-emulation.ts';

interface Read {
  events: CanonicalEvent[];
  stats: TraceReadStats;
  error?: PeerpropError;
  /** Gaps known when each event was yielded (a gap must be known before the events after it). */
  gapsBefore: number[];
}

async function drain(r: TraceReader): Promise<Read> {
  const out: Read = { events: [], stats: r.stats, gapsBefore: [] };
  try {
    for await (const b of r.batches()) {
      for (const e of b) {
        out.events.push(e);
        out.gapsBefore.push(r.stats.gaps.filter((g) => g.line < e.line).length);
      }
    }
  } catch (e) {
    if (!(e instanceof PeerpropError)) throw e;
    out.error = e;
  }
  return out;
}

async function single(path: string, opts: OpenTraceOptions = {}): Promise<Read> {
  return drain(await openTrace(path, { ...opts, threads: false }));
}

async function chunked(path: string, opts: OpenTraceOptions, copts: Partial<ChunkedOptions>): Promise<{ read: Read; reader: ChunkedReader }> {
  const reader = (await openChunked(path, opts, { workers: 2, ...copts })) as ChunkedReader | undefined;
  if (!reader) throw new Error(`${path}: not read in chunks`);
  return { read: await drain(reader), reader };
}

function expectSame(a: Read, b: Read): void {
  expect(b.events.length).toBe(a.events.length);
  // Strict: same prototype (the reader's Ev), same own properties, undefined ones included.
  for (let i = 0; i < a.events.length; i++) if (!isDeepStrictEqual(b.events[i], a.events[i])) expect(b.events[i]).toStrictEqual(a.events[i]);
  // Every gap before an event is known when the event is yielded.
  for (let i = 0; i < a.events.length; i++) if (b.gapsBefore[i]! < a.gapsBefore[i]!) expect(b.gapsBefore[i]).toBeGreaterThanOrEqual(a.gapsBefore[i]!);
  expect(b.stats).toStrictEqual(a.stats);
  expect(JSON.stringify(b.stats)).toBe(JSON.stringify(a.stats));
  expect(b.error?.oneLine()).toBe(a.error?.oneLine());
  expect(b.error?.exitCode).toBe(a.error?.exitCode);
}

const expected = JSON.parse(readFileSync(join(ourTraces, 'expected.json'), 'utf8')) as { traces: Record<string, unknown> };
const traceFile = (name: string): string => join(existsSync(join(sharedTraces, name)) ? sharedTraces : ourTraces, name);

describe('chunked reader: the real traces', () => {
  for (const name of Object.keys(expected.traces)) {
    it(name, async () => {
      const path = traceFile(name);
      const a = await single(path, { name });
      expect(a.stats.events).toBeGreaterThan(0);
      if (a.stats.format !== 'ftrace' && a.stats.format !== 'trace-cmd') {
        // Serial captures and the like stay with the single reader.
        expect(await openChunked(path, { name }, { workers: 2 })).toBeUndefined();
        return;
      }
      for (const warmBytes of [0, 300, 64 << 10]) {
        const { read, reader } = await chunked(path, { name }, { inThread: true, chunkBytes: 257, warmBytes });
        expect(reader.chunking.chunks).toBeGreaterThan(10);
        expectSame(a, read);
      }
    });
  }
});

describe('chunked reader: generated traces', () => {
  const gen = tmpFile('gen.trace', generated(3, 3000, 3));

  it('multi-CPU with lost events and noise, no warm-up: chunks starting inside open calls are read again, the same', async () => {
    const a = await single(gen);
    expect(a.stats.gaps.length).toBeGreaterThan(10);
    expect(a.stats.skipped.malformed.count).toBeGreaterThan(0);
    const { read, reader } = await chunked(gen, {}, { inThread: true, chunkBytes: 1000, warmBytes: 0 });
    expect(reader.chunking.reread).toBeGreaterThan(0);
    expectSame(a, read);
  });

  it('with a warm-up the guessed state is taken (few chunks read again), the same', async () => {
    const a = await single(gen);
    const { read, reader } = await chunked(gen, {}, { inThread: true, chunkBytes: 5000, warmBytes: 4000 });
    expect(reader.chunking.reread).toBeLessThan(reader.chunking.chunks / 4);
    expectSame(a, read);
  });

  it('real worker threads: the same batches of events and statistics', async () => {
    const a = await single(gen);
    const { read, reader } = await chunked(gen, {}, { chunkBytes: 20_000, warmBytes: 2000, mainHelps: false, batchEvents: 100 });
    expect(reader.chunking.chunks).toBeGreaterThan(5);
    expectSame(a, read);
    // The main thread helping while the workers start, and openTrace's own choice of the reader.
    const b = await drain(await openTrace(gen, { threads: 2 }));
    expect((await openTrace(gen, { threads: 2 })).constructor.name).toBe('ChunkedReader');
    expectSame(a, b);
  });

  it('as column batches (for replay to read in place): the same events, each part read with its own string table', async () => {
    const a = await single(gen);
    for (const inThread of [true, false]) {
      const reader = (await openChunked(gen, {}, { workers: 2, inThread, chunkBytes: 7000, warmBytes: 0, mainHelps: inThread, batchEvents: 300 })) as ChunkedReader;
      const events: CanonicalEvent[] = [];
      for await (const { batch, table } of reader.columnBatches()) {
        const dec = new BatchDecoder();
        dec.accept({ ...batch, reset: true, added: [...table] });
        events.push(...dec.build(batch));
      }
      expect(reader.chunking.reread).toBeGreaterThan(0);
      expectSame(a, { ...a, events, stats: reader.stats, gapsBefore: a.gapsBefore });
    }
  });

  it('a property: any chunk size and warm-up length give the single reader\'s events and statistics', async () => {
    const small = tmpFile('small.trace', generated(9, 700, 2));
    const a = await single(small);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30_000 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 600 }), async (chunkBytes, warmBytes, batchEvents) => {
        const { read } = await chunked(small, {}, { inThread: true, chunkBytes, warmBytes, batchEvents });
        expectSame(a, read);
      }),
      { numRuns: 20 },
    );
  });

  it('a last line cut short (no newline) is not read, and the warning names it, as on one thread', async () => {
    const text = generated(4, 800, 2);
    const path = tmpFile('cut.trace', text.slice(0, text.length - 25));
    const a = await single(path);
    expect(a.stats.skipped.cut.count).toBe(1);
    expectSame(a, (await chunked(path, {}, { inThread: true, chunkBytes: 3000, warmBytes: 500 })).read);
  });

  it('garbage bytes (binary, overlong and non-ASCII lines) between trace lines', async () => {
    const text = generated(5, 600, 2);
    const mid = text.indexOf('\n', text.length >> 1) + 1;
    const junk = Buffer.concat([
      Buffer.from([0, 1, 2, 255, 254, 10]), Buffer.from('é ü \u2603 dst_check: (x) rt=\n'), Buffer.alloc(3000, 0x41), Buffer.from('\n'),
      // Longer than a line may be (1 MB), across several of the reader's 64 KB pieces.
      Buffer.alloc((1 << 20) + 5000, 0x42), Buffer.from('\n'),
    ]);
    const path = tmpFile('junk.trace', Buffer.concat([Buffer.from(text.slice(0, mid)), junk, Buffer.from(text.slice(mid))]));
    const a = await single(path);
    expect(a.stats.skipped.malformed.count).toBeGreaterThan(5);
    for (const chunkBytes of [700, 40_000]) expectSame(a, (await chunked(path, {}, { inThread: true, chunkBytes, warmBytes: 900 })).read);
  });

  it('more malformed lines, gaps and unknown probes than the statistics list: cut where one reader cuts them', async () => {
    const lines: string[] = [SEED_TEXT_HEADER];
    for (let i = 0; i < 400; i++) {
      lines.push(`garbage ${i}\n`, `CPU:${i % 4} [LOST ${i + 1} EVENTS]\n`);
      lines.push(`          peerwl-25    [001]     ${(2 + i / 1000).toFixed(6)}: mystery_${i % 37}: (x+0x0/0x10) a=${i}\n`);
    }
    const path = tmpFile('lists.trace', lines.join('') + generated(12, 300, 2));
    const opts = { maxLineNumbers: 7 };
    const a = await single(path, opts);
    expect(a.stats.skipped.malformed.lines.length).toBe(7);
    expectSame(a, (await chunked(path, opts, { inThread: true, chunkBytes: 900, warmBytes: 300 })).read);
  });

  it('capture protocol lines inside the trace (a refused probe and its error_log lines, the dynamic events list) across chunk boundaries', async () => {
    const text = generated(14, 900, 2);
    const parts = text.split('\n');
    const protocol = [
      '@@PROBE_FAIL p:rtgf/fnhe_k update_or_create_fnhe nh=%di',
      '[   12.345678] trace_kprobe: error: Invalid fetch argument',
      '  Command: p:rtgf/fnhe_k update_or_create_fnhe nh=%di',
      '                                                 ^',
      '[   12.345679] trace_kprobe: error: Parse error',
      '@@DYNAMIC_EVENTS_BEGIN',
      'p:rtgf/getpeer inet_getpeer daddr=+0(%di):u32',
      'r:rtgf/getpeer_ret inet_getpeer peer=$retval',
      '@@DYNAMIC_EVENTS_END',
      '@@PROBE_OK p:rtgf/bind rt_bind_peer rt=%di',
      '@@KERNEL 3.0.1-test',
    ];
    const at = [200, 900, 1700];
    for (const i of at.reverse()) parts.splice(i, 0, ...protocol);
    const path = tmpFile('protocol.trace', parts.join('\n'));
    const opts: OpenTraceOptions = { format: 'ftrace' };
    const a = await single(path, opts);
    expect(a.stats.probesRefused.length).toBe(3);
    expect(a.stats.probesRefused[0]!.error).toContain('Parse error');
    expect(a.stats.kernel).toBe('3.0.1-test');
    for (const chunkBytes of [60, 2000]) expectSame(a, (await chunked(path, opts, { inThread: true, chunkBytes, warmBytes: 100 })).read);
  });

  it('an input error in the middle (another printer, callers without symbols): the same one-line error after the same events', async () => {
    const r = new SeedTextRenderer();
    const kernel = SEED_TEXT_HEADER + [...generateEvents('pmtu-redirect', { seed: 11, count: 400 })].map((e) => r.render(e)).join('');
    const path = tmpFile('tc.trace', emulate(kernel, 'tc', new FakeKallsyms()));
    const a = await single(path, { name: 'tc.trace' });
    expect(a.error?.oneLine()).toMatch(/^tc\.trace:\d+: the caller of this getpeer_ret return is printed as an address/);
    // trace-cmd report's lines go through the printer's adapter: not chunked, the single reader's error.
    expect(await openChunked(path, { name: 'tc.trace' }, { workers: 2 })).toBeUndefined();
    expectSame(a, await drain(await openTrace(path, { name: 'tc.trace', threads: 2 })));
  });

  it('more call contexts than a task table holds: the rest is read by one reader from the start, the same', async () => {
    // Entries of MAX_TASKS + 500 tasks never returning: the single reader's table overflows and is
    // cleared; the returns of the first tasks then find no entry (unpaired).
    const lines: string[] = [SEED_TEXT_HEADER];
    const at = (i: number): string => (1 + i / 1e5).toFixed(6).padStart(12);
    const n = MAX_TASKS + 500;
    for (let pid = 1; pid <= n; pid++) lines.push(`          peerwl-${pid}    [000] ${at(pid)}: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=1\n`);
    for (let pid = 1; pid <= 50; pid++) lines.push(`          peerwl-${pid}    [000] ${at(n + pid)}: getpeer_ret: (ip_rt_frag_needed+0x2f/0x1c0 <- inet_getpeer) peer=ffff88001e400000\n`);
    const path = tmpFile('tasks.trace', lines.join('') + generated(13, 200, 1));
    const a = await single(path);
    expect(a.stats.unpairedReturns).toBeGreaterThan(0);
    const { read, reader } = await chunked(path, {}, { inThread: true, chunkBytes: 200_000, warmBytes: 1000 });
    expect(reader.chunking.fallbackAt).toBeGreaterThan(0);
    expectSame(a, read);
  });

  it('compressed files, standard input and small files are not read in chunks unless asked', async () => {
    const gz = tmpFile('gen.trace.gz', gzipSync(generated(7, 300, 2)));
    expect(await openChunked(gz, {}, { workers: 2 })).toBeUndefined();
    expect(await openChunked('-', {}, { workers: 2 })).toBeUndefined();
    expect(await openChunked(gen, {})).toBeUndefined();
    expect(await openChunked(gen, { threads: false })).toBeUndefined();
    expect(await openChunked(gen, { threads: 2 })).toBeDefined();
    expect(await openChunked(join(gen, '..'), { threads: 2 })).toBeUndefined();
  });
});
