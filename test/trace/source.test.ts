/**
 * Compressed trace inputs through the real CLI (in-process): the shipped traces compressed with
 * Debian's own tools give exactly the verdict and counts of the plain files; the same files
 * damaged (cut short anywhere, a byte flipped in the payload or in the trailer's check, garbage
 * after the end) exit 2 with the compressed offset in a one-line message and no verdict on stdout,
 * whatever the output format, on stdin, and among good files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { ourTraces, repoRoot } from './helpers.ts';
import type { Compression } from '../../src/trace/decompress.ts';

interface Expected {
  traces: Record<string, { verdict: string; exitCode: number; lines: number; minEvents: Record<string, number> }>;
}
const expected = JSON.parse(readFileSync(join(ourTraces, 'expected.json'), 'utf8')) as Expected;
const TRACES = Object.keys(expected.traces);
/** The largest shipped trace: the most places to damage. */
const BIG = '6.1.0-56-cloud-amd64.pmtu-pmtu_ipv4_exception.trace.txt';

/** Debian's compressors, as a user would run them. */
const COMPRESS: Record<Compression, string[]> = {
  gzip: ['gzip', '-9', '-c'],
  xz: ['xz', '-c'],
  zstd: ['zstd', '-q', '-c'],
  bzip2: ['bzip2', '-c'],
  lz4: ['lz4', '-q', '-c'],
};
const FORMATS = Object.keys(COMPRESS) as Compression[];
/** A byte inside each format's trailing check (gzip CRC-32 and size, xz footer, the content checksum, bzip2's stream CRC). */
const TRAILER: Record<Compression, number[]> = { gzip: [8, 6, 2], xz: [3, 12], zstd: [2], bzip2: [3], lz4: [2] };

function compress(c: Compression, data: Buffer): Buffer {
  const [cmd, ...args] = COMPRESS[c];
  const r = spawnSync(cmd!, args, { input: data, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peerprop-source-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tmp(name: string, content: Buffer): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

const plainOf = new Map<string, Buffer>();
function plain(name: string): Buffer {
  let b = plainOf.get(name);
  if (!b) plainOf.set(name, (b = readFileSync(join(ourTraces, name))));
  return b;
}

/** The JSON report with the file's name made neutral (`NAME`, `NAME:LINE`), and the container left out. */
function normalised(run: CliRun, name: string): unknown {
  const at = new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(?=\\d)`, 'g');
  const json = JSON.parse(run.out, (_k, v: unknown) => (typeof v !== 'string' ? v : v === name ? 'TRACE' : v.replace(at, 'TRACE:'))) as {
    read: { compression?: string };
  };
  delete json.read.compression;
  return json;
}

/** A damaged input: exit 2, one line naming the file and the offset, nothing on stdout. */
function expectDamage(r: CliRun, shown: string, c: Compression): { at: number; of?: number } {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe('');
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  const esc = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^peerprop: ${esc}: ${c} data .* at byte (\\d+)(?: of (\\d+))? \\((.+), (\\d+) lines? decompressed\\): not replayed$`).exec(lines[0]!);
  expect(m, lines[0]).not.toBeNull();
  return { at: Number(m![1]), of: m![2] === undefined ? undefined : Number(m![2]) };
}

describe('undamaged compressed traces replay exactly like the plain files', () => {
  for (const c of FORMATS) {
    it(`${c}: every shipped trace, same verdict, exit code and event counts as expected.json`, async () => {
      for (const name of TRACES) {
        const exp = expected.traces[name]!;
        const p = plain(name);
        const f = tmp(`${name}.${c}`, compress(c, p));
        const [a, b] = [await runCli(['replay', '--format', 'json', join(ourTraces, name)]), await runCli(['replay', '--format', 'json', f])];
        expect(b.code, `${name} ${b.err}`).toBe(a.code);
        expect(b.code).toBe(exp.exitCode);
        expect(normalised(b, f)).toEqual(normalised(a, join(ourTraces, name)));
        const rep = JSON.parse(b.out) as { verdict: string; read: { compression: string; lines: number; bytes: number; eventsByKind: Record<string, number> } };
        expect(rep.verdict).toBe(exp.verdict);
        expect(rep.read.compression).toBe(c);
        expect(rep.read.lines).toBe(exp.lines);
        expect(rep.read.bytes).toBe(p.length);
        for (const [kind, min] of Object.entries(exp.minEvents)) expect(rep.read.eventsByKind[kind], `${name} ${kind}`).toBeGreaterThanOrEqual(min);
      }
    });
  }

  it('several members or streams (cat a.gz b.gz), cut in the middle of a line, read as one trace', async () => {
    const p = plain(BIG);
    const cut = p.indexOf(0x0a, p.length >> 1) - 10;
    const ref = await runCli(['replay', '--format', 'json', join(ourTraces, BIG)]);
    for (const c of FORMATS) {
      const f = tmp(`cat.${c}`, Buffer.concat([compress(c, p.subarray(0, cut)), compress(c, p.subarray(cut))]));
      const r = await runCli(['replay', '--format', 'json', f]);
      expect(r.code, `${c} ${r.err}`).toBe(ref.code);
      expect(normalised(r, f)).toEqual(normalised(ref, join(ourTraces, BIG)));
    }
  });

  it('is recognised by its bytes, not its name, and read from stdin', async () => {
    const name = 'linux-3.0.1_run4-s3.ftrace.txt';
    const ref = await runCli(['replay', '--format', 'json', join(ourTraces, name)]);
    for (const c of FORMATS) {
      const data = compress(c, plain(name));
      const f = tmp('trace.txt', data);
      const r = await runCli(['replay', '--format', 'json', f]);
      expect(normalised(r, f)).toEqual(normalised(ref, join(ourTraces, name)));
      const s = await runCli(['replay', '--format', 'json', '-'], data);
      expect(s.code, s.err).toBe(ref.code);
      expect(normalised(s, '-')).toEqual(normalised(ref, join(ourTraces, name)));
    }
  });

  it('gzip zero padding after the last member is accepted, with a warning', async () => {
    const f = tmp('padded.gz', Buffer.concat([compress('gzip', plain(BIG)), Buffer.alloc(512)]));
    const r = await runCli(['replay', f]);
    expect(r.code, r.err).toBe(expected.traces[BIG]!.exitCode);
    expect(r.out).toContain('warning: 512 zero bytes of padding after the gzip data ignored');
  });
});

describe('damaged compressed traces are bad input (exit 2), never a verdict', () => {
  for (const c of FORMATS) {
    describe(c, () => {
      let whole: Buffer;
      beforeAll(() => {
        whole = compress(c, plain(BIG));
      });

      it('cut short anywhere: exit 2 with the offset, no verdict', async () => {
        // From the first bytes that show the container (its magic) to one byte short of the end.
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 6, max: whole.length - 1 }), async (cut) => {
            const f = tmp(`cut.${c}`, whole.subarray(0, cut));
            const d = expectDamage(await runCli(['replay', f]), f, c);
            expect(d.of).toBe(cut);
            // The decoder had at most what was there; gzip and the decoders that read to the end say exactly where it stopped.
            expect(d.at).toBeLessThanOrEqual(cut);
            if (c === 'gzip') expect(d.at).toBe(cut);
          }),
          { numRuns: 10, examples: [[6], [whole.length >> 1], [whole.length - 1], [whole.length - 4], [whole.length - 9]] },
        );
      });

      it('a byte flipped in the payload or in the trailing check: exit 2 at or after it', async () => {
        for (const pos of [whole.length >> 2, whole.length >> 1, ...TRAILER[c].map((back) => whole.length - back)]) {
          const bad = Buffer.from(whole);
          bad[pos] ^= 0x5a;
          const f = tmp(`flip.${c}`, bad);
          const d = expectDamage(await runCli(['replay', f]), f, c);
          expect(d.of).toBe(whole.length);
          expect(d.at, `flip at ${pos}`).toBeGreaterThan(pos);
          expect(d.at).toBeLessThanOrEqual(whole.length);
        }
      });

      it('garbage after the end: exit 2', async () => {
        for (const tail of [Buffer.from('garbage\n'), Buffer.concat([Buffer.alloc(8), Buffer.from('x')])]) {
          const f = tmp(`garbage.${c}`, Buffer.concat([whole, tail]));
          const d = expectDamage(await runCli(['replay', f]), f, c);
          expect(d.of).toBe(whole.length + tail.length);
        }
      });

      it('on stdin, among good files, in every output format: exit 2 and nothing on stdout', async () => {
        const cut = whole.subarray(0, whole.length - 3);
        const s = await runCli(['replay', '-'], cut);
        const d = expectDamage(s, '-', c);
        // Standard input has no size up front: the offset is what was read.
        expect(d.at).toBeLessThanOrEqual(cut.length);
        const bad = tmp(`bad.${c}`, cut);
        const good = tmp(`good.${c}`, whole);
        for (const format of ['text', 'json', 'ktap', 'junit']) {
          expectDamage(await runCli(['replay', '--format', format, join(ourTraces, BIG), bad, good]), bad, c);
          expectDamage(await runCli(['replay', '--format', format, good, '-'], cut), '-', c);
        }
      });
    });
  }

  it('replayFiles (replay, the default job) stops at a damaged file among good ones', async () => {
    const { replayFiles } = await import('../../src/replay/index.ts');
    const bad = tmp('bad.gz', compress('gzip', plain(BIG)).subarray(0, 1000));
    await expect(replayFiles([join(ourTraces, BIG), bad])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^gzip data cut short at byte 1000 of 1000 /) });
  });
});

describe('what is not damage', () => {
  it('a plain text trace cut in the middle of a line keeps today\'s behaviour, compressed or not', async () => {
    // Cut inside an event line's fields: what the reader makes of the unfinished last line is the
    // reader's business; a container around the same text changes nothing.
    const p = plain('linux-3.0.1_run1-s1.ftrace.txt');
    const cut = p.subarray(0, p.indexOf(0x0a, p.length >> 1) - 10);
    const f = tmp('cut.txt', cut);
    const ref = await runCli(['replay', '--format', 'json', f]);
    expect(ref.code).not.toBe(2);
    const rep = JSON.parse(ref.out) as { read: { lines: number } };
    expect(rep.read.lines).toBe(cut.toString('latin1').split('\n').length);
    for (const c of FORMATS) {
      const g = tmp(`cut.txt.${c}`, compress(c, cut));
      const r = await runCli(['replay', '--format', 'json', g]);
      expect(r.code).toBe(ref.code);
      expect(normalised(r, g)).toEqual(normalised(ref, f));
    }
  });

  it('a reader that stops early ends the decoder: the process exits by itself', () => {
    const script = join(repoRoot, 'test/trace/fixtures/read-first-batch.mts');
    // More text than one batch: the decoder is still running when the reader stops.
    const text = Buffer.concat(Array.from({ length: 40 }, () => plain(BIG)));
    for (const c of FORMATS) {
      const f = tmp(`early.${c}`, compress(c, text));
      const r = spawnSync(process.execPath, ['--import', 'tsx/esm', script, f], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, `${c}: still running after the reader stopped`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { events: number; compression: string };
      expect(out.compression).toBe(c);
      expect(out.events).toBeGreaterThan(0);
    }
  });

  it('a missing decoder is an environment problem (exit 3) naming the Debian package', async () => {
    const f = tmp('t.xz', compress('xz', plain(BIG)));
    const path = process.env.PATH;
    process.env.PATH = dir;
    let r: CliRun;
    try {
      r = await runCli(['replay', f]);
    } finally {
      process.env.PATH = path;
    }
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/xz data needs `xz` to decompress it: install the Debian package xz-utils/);
  });
});
