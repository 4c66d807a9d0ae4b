/**
 * The threaded reader (a worker parses, the main thread builds events from columns) gives what the
 * single-thread reader gives: the same batches, events (same class, same own fields), gaps known at
 * each batch, statistics, and the same errors naming the same file:line, on the real traces, on
 * generated multi-CPU traces with lost events, and on damaged input. Messages are forced down to
 * one batch of the reader each, so a message boundary falls after every batch.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { openTrace, type CanonicalEvent, type OpenTraceOptions, type TraceReader, type TraceReadStats } from '../../../src/trace/index.ts';
import { openThreaded, threadedEligible } from '../../../src/trace/parallel/threaded.ts';
import { generateEvents } from '../../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../../src/trace/render.ts';
import { PeerpropError } from '../../../src/core/errors.ts';
import { ourTraces, sharedTraces, tmpFile } from '../helpers.ts';
import { generatedTrace as generated } from '../generators.ts';
import { emulate, FakeKallsyms } from '../printer-emulation.ts';

interface Read {
  batches: CanonicalEvent[][];
  /** stats.gaps.length when each batch was yielded. */
  gapsAt: number[];
  stats: TraceReadStats;
  error?: PeerpropError;
}

async function drain(r: TraceReader): Promise<Read> {
  const out: Read = { batches: [], gapsAt: [], stats: r.stats };
  try {
    for await (const b of r.batches()) {
      out.batches.push(b);
      out.gapsAt.push(r.stats.gaps.length);
    }
  } catch (e) {
    if (!(e instanceof PeerpropError)) throw e;
    out.error = e;
  }
  return out;
}

async function both(path: string, opts: OpenTraceOptions = {}, batchEvents = 1): Promise<{ serial: Read; threaded: Read }> {
  const serial = await drain(await openTrace(path, { ...opts, threads: false }));
  const threaded = await drain(openThreaded(path, opts, { batchEvents, maxInflight: 2 }));
  return { serial, threaded };
}

function expectSame(serial: Read, threaded: Read): void {
  expect(threaded.batches.map((b) => b.length)).toEqual(serial.batches.map((b) => b.length));
  expect(threaded.gapsAt).toEqual(serial.gapsAt);
  const a = serial.batches.flat();
  const b = threaded.batches.flat();
  expect(b.length).toBe(a.length);
  // Strict: same prototype (the reader's Ev), same own properties, undefined ones included.
  for (let i = 0; i < a.length; i++) if (!isDeepStrictEqual(b[i], a[i])) expect(b[i]).toStrictEqual(a[i]);
  expect(threaded.stats).toEqual(serial.stats);
  expect(threaded.error?.oneLine()).toBe(serial.error?.oneLine());
  expect(threaded.error?.exitCode).toBe(serial.error?.exitCode);
}

const expected = JSON.parse(readFileSync(join(ourTraces, 'expected.json'), 'utf8')) as { traces: Record<string, unknown> };

describe('threaded reader: the real traces', () => {
  for (const name of Object.keys(expected.traces)) {
    it(name, async () => {
      const dir = existsSync(join(sharedTraces, name)) ? sharedTraces : ourTraces;
      const { serial, threaded } = await both(join(dir, name), { name });
      expect(serial.stats.events).toBeGreaterThan(0);
      expectSame(serial, threaded);
    });
  }
});

describe('threaded reader: generated traces', () => {
  it('multi-CPU with lost events and noise: same batches, gaps, events and statistics', async () => {
    const path = tmpFile('gen.trace', generated(3, 3000, 3));
    const { serial, threaded } = await both(path);
    expect(serial.stats.gaps.length).toBeGreaterThan(10);
    expect(serial.stats.skipped.malformed.count).toBeGreaterThan(0);
    expectSame(serial, threaded);
    // Default message size (several batches per message) too, as openTrace gives it when asked.
    const again = await drain(await openTrace(path, { threads: true }));
    expectSame(serial, again);
  });

  it('a gzip-compressed file is decompressed and read on the worker, the same as on one thread', async () => {
    const path = tmpFile('gen.trace.gz', gzipSync(generated(7, 1500, 2)));
    const { serial, threaded } = await both(path);
    expect(serial.stats.compression).toBe('gzip');
    expect(serial.stats.events).toBeGreaterThan(1000);
    expectSame(serial, threaded);
  });

  it('a last line cut short (no newline) is not read, and the warning names it, as on one thread', async () => {
    const text = generated(4, 800, 2);
    const path = tmpFile('cut.trace', text.slice(0, text.length - 25));
    const { serial, threaded } = await both(path);
    expect(serial.stats.skipped.cut.count).toBe(1);
    expectSame(serial, threaded);
  });

  it('garbage bytes (binary, overlong and non-ASCII lines) between trace lines', async () => {
    const text = generated(5, 600, 2);
    const mid = text.indexOf('\n', text.length >> 1) + 1;
    const junk = Buffer.concat([Buffer.from([0, 1, 2, 255, 254, 10]), Buffer.from('é ü \u2603 dst_check: (x) rt=\n'), Buffer.alloc(3000, 0x41), Buffer.from('\n')]);
    const path = tmpFile('junk.trace', Buffer.concat([Buffer.from(text.slice(0, mid)), junk, Buffer.from(text.slice(mid))]));
    const { serial, threaded } = await both(path);
    expectSame(serial, threaded);
  });

  it('an error in the middle of the trace is the same one-line error at the same file:line, after the same events', async () => {
    const r = new SeedTextRenderer();
    const kernel = SEED_TEXT_HEADER + [...generateEvents('pmtu-redirect', { seed: 11, count: 400 })].map((e) => r.render(e)).join('');
    const path = tmpFile('tc.trace', emulate(kernel, 'tc', new FakeKallsyms()));
    const { serial, threaded } = await both(path, { name: 'tc.trace' });
    expect(serial.error?.oneLine()).toMatch(/^tc\.trace:\d+: the caller of this getpeer_ret return is printed as an address/);
    expectSame(serial, threaded);
    expectSame(serial, await drain(openThreaded(path, { name: 'tc.trace' })));
  });
});

describe('threadedEligible', () => {
  it('regular files only, large ones by default; forced on or off by the option', () => {
    const small = tmpFile('small.trace', generated(6, 50, 1));
    expect(threadedEligible(small, {})).toBe(false);
    expect(threadedEligible(small, { threads: true })).toBe(true);
    expect(threadedEligible(small, { threads: false })).toBe(false);
    expect(threadedEligible('-', { threads: true })).toBe(false);
    expect(threadedEligible(join(small, '..'), { threads: true })).toBe(false);
    expect(threadedEligible(join(small, 'missing'), { threads: true })).toBe(false);
  });
});
