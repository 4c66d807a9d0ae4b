/**
 * The chunked reader against the single reader on inputs the generated traces do not hold: a map
 * with `within` and `context` values (open-call state carried across chunk boundaries), lines
 * that are non-ASCII (a task name in UTF-8, Latin-1 bytes, NUL), CRLF line ends, lines about the
 * size of the reader's 64 KB pieces, trace-cmd report's CPU lines and lost-event notices right at
 * chunk starts; each with both line scanners (the compiled one and the JavaScript one, whose
 * ASCII test is per piece: a chunk's first piece is only part of the single reader's). And a file
 * that grows or shrinks while it is read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendFileSync, truncateSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { openTrace, parseProbeMap, type CanonicalEvent, type OpenTraceOptions, type TraceReader, type TraceReadStats } from '../../../src/trace/index.ts';
import { openChunked } from '../../../src/trace/parallel/chunks/open.ts';
import type { ChunkedOptions, ChunkedReader } from '../../../src/trace/parallel/chunks/reader.ts';
import { PeerpropError } from '../../../src/core/errors.ts';
import { tmpFile } from '../helpers.ts';
import { generateEvents } from '../../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../../src/trace/render.ts';

interface Read {
  events: CanonicalEvent[];
  stats: TraceReadStats;
  error?: string;
}

async function drain(r: TraceReader): Promise<Read> {
  const out: Read = { events: [], stats: r.stats };
  try {
    for await (const b of r.batches()) out.events.push(...b);
  } catch (e) {
    out.error = e instanceof PeerpropError ? e.oneLine() : `not a PeerpropError: ${(e as Error).message}`;
  }
  return out;
}

async function withScanner<T>(scanner: 'js' | 'wasm', f: () => Promise<T>): Promise<T> {
  const saved = process.env.PEERPROP_TRACE_SCANNER;
  if (scanner === 'js') process.env.PEERPROP_TRACE_SCANNER = 'js';
  else delete process.env.PEERPROP_TRACE_SCANNER;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.PEERPROP_TRACE_SCANNER;
    else process.env.PEERPROP_TRACE_SCANNER = saved;
  }
}

const single = async (path: string, opts: OpenTraceOptions): Promise<Read> => drain(await openTrace(path, { ...opts, threads: false }));

async function chunked(path: string, opts: OpenTraceOptions, copts: Partial<ChunkedOptions>): Promise<Read> {
  const reader = (await openChunked(path, opts, { workers: 2, inThread: true, ...copts })) as ChunkedReader | undefined;
  if (!reader) throw new Error(`${path}: not read in chunks`);
  return drain(reader);
}

function expectSame(a: Read, b: Read, what: string): void {
  expect(b.error, what).toBe(a.error);
  expect(b.events.length, what).toBe(a.events.length);
  for (let i = 0; i < a.events.length; i++) if (!isDeepStrictEqual(b.events[i], a.events[i])) expect(b.events[i], `${what}: event ${i}`).toStrictEqual(a.events[i]);
  expect(b.stats, what).toStrictEqual(a.stats);
}

/** The map of test/trace/mapfeatures.test.ts's kind: a pair with a `within` probe, context values of another open call. */
const MAP = parseProbeMap({
  name: 'features',
  radix: 'auto',
  pairs: [{ entry: 'call', return: ['call_ret'], within: ['inner'] }, { entry: 'ctx', return: ['ctx_ret'] }],
  rules: [
    { probe: 'call', emit: [{ kind: 'pmtu', fields: { rt: 'rt', mtu: 'mtu', genid: 'g' } }] },
    {
      probe: 'call_ret', caller: ['tcp_v4_err'],
      emit: [
        { kind: 'genid_bump', at: 'entry', set: { counter: 'peer', old: 1 }, fields: { rt: 'entry.rt', old: 'entry.g', new: 'g' } },
        { kind: 'bind_ret', fields: { peer: 'within.inner.peer', ret: 'ret', text: '$caller', gateway: 'context.ctx.gw', mtu: 'context.ctx.x' } },
      ],
    },
    { probe: 'call_ret', callerNot: ['tcp_v4_err'], when: [{ value: 'ret', op: 'ne', to: 0 }], emit: [{ kind: 'genid_bump', fields: { new: 'g', text: '$text' } }] },
  ],
}, 'features.json');

const NUM_WORKER_RUNS = 8;

const TASKS = ['ping', 'kworker/0:1', 'ping\u00fc', 'a-b', '<idle>'];

/** One line of the features trace (or another line a trace may hold), as bytes with its line end. */
const line = fc
  .record({
    what: fc.constantFrom('call', 'call', 'inner', 'ctx', 'ctx_ret', 'ret', 'ret', 'lost', 'bufStart', 'header', 'latin1', 'nul', 'blank', 'piece', 'unknown'),
    task: fc.constantFrom(...TASKS.keys()),
    pid: fc.integer({ min: 1, max: 2 }),
    cpu: fc.integer({ min: 0, max: 3 }),
    n: fc.integer({ min: 0, max: 99 }),
    crlf: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
    pieceLen: fc.integer({ min: 65_400, max: 65_600 }),
  })
  .map((r) => {
    const cpu = String(r.cpu).padStart(3, '0');
    const head = (ts: number): string => `${TASKS[r.task]!.padStart(16)}-${r.pid}     [${cpu}] d..1. ${(10 + ts / 1e4).toFixed(6)}: `;
    const ts = r.n;
    let s: string | Buffer;
    switch (r.what) {
      case 'call': s = `${head(ts)}call: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b3${r.n.toString(16).padStart(2, '0')} mtu=${1300 + r.n} g=${r.n}`; break;
      case 'inner': s = `${head(ts)}inner: (rt_bind+0x4/0x10) peer=0xffff888004a1b4${r.n.toString(16).padStart(2, '0')}`; break;
      case 'ctx': s = `${head(ts)}ctx: (foo+0x4/0x10) x=${r.n} gw=192.0.2.${r.n}`; break;
      case 'ctx_ret': s = `${head(ts)}ctx_ret: (bar+0x10/0x80 <- foo) ret=0x0`; break;
      case 'ret': s = `${head(ts)}call_ret: (${r.n % 3 ? 'tcp_v4_err' : 'icmp_unreach'}+0x10/0x80 <- ip_rt_update_pmtu) ret=0x${r.n % 2} g=${r.n + 1}`; break;
      case 'lost': if (r.n > 10) { s = `${head(ts)}inner: (rt_bind+0x4/0x10) peer=0x${r.n}`; break; }
        s = `CPU:${r.cpu} [LOST ${r.n + 1} EVENTS]`; break;
      case 'bufStart': if (r.n > 10) { s = `${head(ts)}ctx: (foo+0x4/0x10) x=${r.n} gw=192.0.2.${r.n}`; break; }
        s = `##### CPU ${r.cpu} buffer started ####`; break;
      case 'header': s = `# entries-in-buffer/entries-written: ${r.n}/${r.n + r.pid}   #P:${r.cpu + 1}`; break;
      case 'latin1': s = Buffer.concat([Buffer.from(head(ts).replace('ping', 'p\u00e9ng'), 'latin1'), Buffer.from(`inner: (rt_bind+0x4/0x10) peer=0x${r.n}`)]); break;
      case 'nul': s = Buffer.concat([Buffer.from(head(ts)), Buffer.from([0, 0]), Buffer.from(`call: (x+0x0/0x1) rt=0x1 mtu=1 g=1`)]); break;
      case 'blank': s = ''; break;
      case 'piece': if (r.n > 15) { s = ''; break; }
        s = `${head(ts)}ctx: (foo+0x4/0x10) x=${r.n} gw=192.0.2.1 pad=`.padEnd(r.pieceLen, 'p'); break;
      default: s = `${head(ts)}mystery_${r.n % 5}: (x+0x0/0x10) a=${r.n}`;
    }
    return Buffer.concat([typeof s === 'string' ? Buffer.from(s, 'utf8') : s, Buffer.from(r.crlf ? '\r\n' : '\n')]);
  });

const trace = fc.array(line, { minLength: 20, maxLength: 400, size: 'medium' }).map((ls) => Buffer.concat([Buffer.from('# tracer: nop\n#\n'), ...ls]));

describe('chunked reader: edges the generated traces do not reach', () => {
  for (const scanner of ['wasm', 'js'] as const) {
    it(`within / context values, non-ASCII and NUL lines, CRLF, lines of a piece's size, CPU and lost-event lines (${scanner} scanner)`, async () => {
      let n = 0;
      const seen = { events: 0, within: 0, context: 0, gaps: 0, reread: 0 };
      await fc.assert(
        fc.asyncProperty(trace, fc.integer({ min: 1, max: 3000 }), fc.constantFrom(0, 150, 4000, 70_000), fc.boolean(), async (text, chunkBytes, warmBytes, cut) => {
          const body = cut ? text.subarray(0, text.length - 3) : text;
          const path = tmpFile(`edges-${n++ % 4}.trace`, body);
          const opts: OpenTraceOptions = { probeMap: MAP, format: 'ftrace' };
          await withScanner(scanner, async () => {
            const a = await single(path, opts);
            const b = await chunked(path, opts, { chunkBytes, warmBytes });
            expectSame(a, b, `chunkBytes ${chunkBytes} warmBytes ${warmBytes}`);
            seen.events += a.events.length;
            seen.gaps += a.stats.gaps.length;
            for (const e of a.events as unknown as Record<string, unknown>[]) {
              if (e.kind === 'bind_ret' && e.peer !== undefined) seen.within++;
              if (e.kind === 'bind_ret' && e.gateway !== undefined) seen.context++;
            }
          });
        }),
        { numRuns: 100 },
      );
      // The property met what it is about.
      expect(seen.within).toBeGreaterThan(5);
      expect(seen.context).toBeGreaterThan(5);
      expect(seen.gaps).toBeGreaterThan(20);
    });
  }
});

describe('chunked reader: real worker threads on the same inputs', () => {
  // Each worker compiles the map afresh and learns layouts and callers from the chunks it read:
  // nothing a line gives may depend on that history.
  it('within / context values, non-ASCII and NUL lines, CRLF, lost-event lines', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(trace, fc.integer({ min: 200, max: 3000 }), fc.constantFrom(0, 150, 4000), fc.boolean(), async (text, chunkBytes, warmBytes, mainHelps) => {
        const path = tmpFile(`workers-${n++ % 4}.trace`, text);
        const opts: OpenTraceOptions = { probeMap: MAP, format: 'ftrace' };
        const a = await single(path, opts);
        const b = await chunked(path, opts, { chunkBytes, warmBytes, inThread: false, mainHelps, batchEvents: 7 });
        expectSame(a, b, `chunkBytes ${chunkBytes} warmBytes ${warmBytes}`);
      }),
      { numRuns: NUM_WORKER_RUNS },
    );
  }, 120_000);
});

describe('chunked reader: what a line reads does not depend on the lines a reader saw before it', () => {
  // A probe line naming an argument twice (damaged input, or a probe defined so): the general
  // walk (extractArgs) reads the first value. A layout learned from such a line read the last,
  // so the same line read another value once a line before it had taught the layout; a chunk
  // read by another worker (which had not seen that line) then gave other events than one reader.
  const DUP_MAP = parseProbeMap({ name: 'dup', radix: 'auto', pairs: [], rules: [{ probe: 'call', emit: [{ kind: 'pmtu', fields: { rt: 'rt', mtu: 'mtu' } }] }] }, 'dup.json');
  const lines = ['# tracer: nop', '#'];
  for (let i = 0; i < 400; i++) lines.push(`            ping-1     [000] d..1. ${(10 + i / 1e4).toFixed(6)}: call: (ip_rt_update_pmtu+0x0/0x80) rt=0xa rt=0xb mtu=${1300 + i}`);
  const path = tmpFile('dup.trace', lines.join('\n') + '\n');
  const opts: OpenTraceOptions = { probeMap: DUP_MAP, format: 'ftrace' };

  for (const scanner of ['wasm', 'js'] as const) {
    it(`an argument printed twice: the first value, on every line, on one thread and in chunks (${scanner} scanner)`, async () => {
      await withScanner(scanner, async () => {
        for (const textPath of [false, true]) {
          const a = await single(path, { ...opts, textPath });
          expect(a.events.length).toBe(400);
          expect(new Set(a.events.map((e) => (e as unknown as { rt: string }).rt))).toEqual(new Set(['0xa']));
        }
        const a = await single(path, opts);
        const reader = (await openChunked(path, opts, { workers: 2, chunkBytes: 2000, warmBytes: 0, mainHelps: false })) as ChunkedReader;
        expectSame(a, await drain(reader), 'worker threads');
        expect(reader.chunking.chunks).toBeGreaterThan(5);
      });
    });
  }
});

describe('chunked reader: a file that changes while it is read', () => {
  const L = (i: number): string => `            ping-${1 + (i % 3)}     [00${i % 2}] d..1. ${(10 + i / 1e4).toFixed(6)}: call: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b3${(i % 256).toString(16).padStart(2, '0')} mtu=${1300 + i} g=${i}\n`;
  const text = '# tracer: nop\n#\n' + Array.from({ length: 3000 }, (_, i) => L(i)).join('');
  const opts: OpenTraceOptions = { probeMap: MAP, format: 'ftrace' };

  it('growing (a capture still being written): the bytes there when it was opened are read, the line cut there is not read', async () => {
    // Cut in the middle of a value (`mtu=13` of `mtu=1345`): read as a line, it would give a wrong number.
    const cutAt = text.indexOf(' g=', text.length >> 1) - 2;
    const path = tmpFile('growing.trace', text.slice(0, cutAt));
    const snapshot = tmpFile('snapshot.trace', text.slice(0, cutAt));
    for (const inThread of [true, false]) {
      const reader = (await openChunked(path, { ...opts, name: 'capture.trace' }, { workers: 2, inThread, chunkBytes: 5000, warmBytes: 1000 })) as ChunkedReader;
      appendFileSync(path, text.slice(cutAt));
      const b = await drain(reader);
      truncateSync(path, cutAt);
      const a = await single(snapshot, { ...opts, name: 'capture.trace' });
      expect(a.stats.skipped.cut.count).toBe(1);
      expectSame(a, b, 'grown');
    }
  });

  it('truncated while it is read: a one-line input error naming the file, after the events read (no internal error)', async () => {
    for (const inThread of [true, false]) {
      const path = tmpFile('shrinking.trace', text);
      const reader = (await openChunked(path, { ...opts, name: 'shrinking.trace' }, { workers: 2, inThread, chunkBytes: 5000, warmBytes: 1000, mainHelps: false })) as ChunkedReader;
      truncateSync(path, text.length >> 1);
      const b = await drain(reader);
      expect(b.error).toMatch(/^shrinking\.trace: .*ended at byte \d+/);
      expect(b.stats.complete).toBe(false);
    }
  }, 60_000);

  it('truncated while it is read: one reader says so too (it read less than the file held: never complete)', async () => {
    // Larger than the single reader's first read (1 MB, at opening), so that the cut is met while reading.
    const big = '# tracer: nop\n#\n' + Array.from({ length: 30_000 }, (_, i) => L(i)).join('');
    const path = tmpFile('shrinking-big.trace', big);
    const reader = await openTrace(path, { ...opts, name: 'shrinking-big.trace', threads: false });
    truncateSync(path, big.length >> 1);
    const a = await drain(reader);
    expect(a.error).toMatch(/^shrinking-big\.trace: .*cut short while read/);
    expect(a.stats.complete).toBe(false);
  });
});

describe('chunked reader: a generated trace with the builtin map and non-ASCII lines here and there', () => {
  // The JavaScript scanner takes the byte path for the lines of an ASCII piece and the text path
  // for the others; a chunk's first piece is only the end of one reader's piece: the paths differ,
  // the events may not.
  const r = new SeedTextRenderer();
  const lines: string[] = [];
  let i = 0;
  for (const e of generateEvents('pmtu-redirect', { seed: 21, count: 2500 })) {
    lines.push(r.render(e).replace(/ \[000\] /g, () => ` [00${i % 2}] `));
    if (++i % 53 === 0) lines.push(`          p\u00f6ng-9     [001] d..1. ${(1 + i / 1e5).toFixed(6)}: mystery: (x+0x0/0x10) a=1\n`);
    if (i % 71 === 0) lines.push(`CPU:${i % 2} [LOST ${i} EVENTS]\r\n`);
  }
  const path = tmpFile('gen-utf8.trace', SEED_TEXT_HEADER + lines.join(''));

  it('one reader and chunks, either scanner: the same events and statistics', async () => {
    // CRLF lines make it look like a serial capture: it is said to be ftrace text.
    const opts: OpenTraceOptions = { format: 'ftrace' };
    const a = await withScanner('wasm', () => single(path, opts));
    expect(a.events.length).toBeGreaterThan(1000);
    expect(a.stats.skipped.unknownEvent.count).toBeGreaterThan(10);
    for (const scanner of ['wasm', 'js'] as const) {
      await withScanner(scanner, async () => {
        expectSame(a, await single(path, opts), `${scanner}: one reader`);
        for (const [chunkBytes, warmBytes] of [[700, 0], [3000, 900], [40_000, 5000]] as const) {
          expectSame(a, await chunked(path, opts, { chunkBytes, warmBytes }), `${scanner}: chunks of ${chunkBytes}`);
        }
      });
    }
  });
});
