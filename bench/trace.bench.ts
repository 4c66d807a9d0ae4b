/**
 * Trace reading speed and memory (`npm run bench trace`).
 *
 * Generates a large conforming trace (the reference model's own event stream,
 * src/model/generate.ts generateEvents, rendered as Linux 3.0 kprobe ftrace text exactly as the
 * real traces print it: bare hex, inlined binds seen through inet_getpeer and its caller, markers),
 * then measures, each in a fresh child process (so peak RSS is the reader's own):
 *   - `wc -l` on the same file (the floor),
 *   - parse only (openTrace → batches, events counted),
 *   - parse + replay (src/replay, the era given),
 *   - parse only again with the V8 heap capped at 64 MB (it completes only if memory is flat),
 * and prints MB/s, lines/s, events/s, CPU seconds and peak RSS (the process's own, including
 * Node and the tsx loader: about 90 MB before reading anything).
 *
 * Sizes: PEERPROP_BENCH_TRACE_MB (default 200) for speed, PEERPROP_BENCH_MEMORY_MB (default 1000,
 * 0 = skip) for memory. The files are kept in the temp dir between runs (`-v2`: markers are never
 * written inside an open PMTU/redirect path, so the trace conforms).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../src/trace/render.ts';

const SELF = fileURLToPath(import.meta.url);

export async function generate(file: string, bytes: number): Promise<void> {
  const { generateEvents } = await import('../src/model/generate.ts');
  const out = createWriteStream(file);
  out.write(SEED_TEXT_HEADER);
  const r = new SeedTextRenderer();
  let written = 0;
  let buf = '';
  let n = 0;
  let step = 0;
  let nextMarker = 50;
  for (const e of generateEvents('pmtu-redirect', { seed: 7, count: Number.MAX_SAFE_INTEGER })) {
    buf += r.render(e);
    // A workload marker about every 50 events, never inside an open PMTU/redirect path (the
    // path's return and bump come after its lookup: a marker there would cut it short).
    if (++n >= nextMarker && !r.pathOpen) {
      buf += r.render({ kind: 'marker', file: '', line: 0, text: `=== WL step ${++step}: bench` });
      nextMarker = n + 50;
    }
    if (buf.length > 1 << 20) {
      written += buf.length;
      if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
      buf = '';
      if (written >= bytes) break;
    }
  }
  out.write(buf);
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

// ------------------------------------------------------------------ measuring (child processes)

interface ChildResult {
  mode: string;
  wall: number;
  cpu: number;
  lines: number;
  events: number;
  bytes: number;
  maxRssMB: number;
  verdict?: string;
  divergences?: number;
}

async function child(mode: string, file: string): Promise<void> {
  const { openTrace } = await import('../src/trace/index.ts');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'idle') {
    const res: ChildResult = { mode, wall: 0, cpu: 0, lines: 0, events: 0, bytes: 0, maxRssMB: process.resourceUsage().maxRSS / 1024 };
    process.stdout.write(JSON.stringify(res));
    return;
  }
  const reader = await openTrace(file);
  let events = 0;
  let verdict: string | undefined;
  let divergences: number | undefined;
  if (mode === 'replay') {
    const { replay } = await import('../src/replay/index.ts');
    const counting = (async function* () {
      for await (const b of reader.batches()) {
        events += b.length;
        yield b;
      }
    })();
    const rep = await replay(counting, { era: 'pmtu-redirect', maxDivergences: 10 });
    verdict = rep.verdict;
    divergences = (rep as unknown as { divergenceCount?: number; divergences: unknown[] }).divergenceCount ?? rep.divergences.length;
  } else {
    for await (const b of reader.batches()) events += b.length;
  }
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const res: ChildResult = {
    mode, wall, cpu: (cu.user + cu.system) / 1e6, lines: reader.stats.lines, events, bytes: reader.stats.bytes,
    maxRssMB: process.resourceUsage().maxRSS / 1024, verdict, divergences,
  };
  process.stdout.write(JSON.stringify(res));
}

function runChild(mode: string, file: string, v8flags: string[] = []): ChildResult {
  const r = spawnSync(process.execPath, [...v8flags, '--import', 'tsx/esm', SELF, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

function wcLines(file: string): { wall: number; lines: number } {
  const t0 = performance.now();
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  return { wall: (performance.now() - t0) / 1000, lines: Number(r.stdout.trim().split(/\s+/)[0]) };
}

async function traceFile(mb: number): Promise<{ file: string; size: number }> {
  const file = join(tmpdir(), `peerprop-bench-trace-3.0-v2-${mb}MB.txt`);
  if (!existsSync(file) || statSync(file).size < mb * 1e6) {
    const t0 = performance.now();
    await generate(file, mb * 1e6);
    process.stdout.write(`generated ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return { file, size: statSync(file).size / 1e6 };
}

function report(label: string, r: ChildResult, size: number): void {
  // Rates per wall second and per CPU second (the machine may be shared: CPU time is the fairer figure).
  process.stdout.write(
    `${label.padEnd(17)} ${r.wall.toFixed(2)} s wall: ${(size / r.wall).toFixed(1)} MB/s ${(r.events / r.wall / 1e6).toFixed(2)} M events/s | ` +
      `${r.cpu.toFixed(2)} s cpu: ${(size / r.cpu).toFixed(1)} MB/s ${(r.lines / r.cpu / 1e6).toFixed(2)} M lines/s ${(r.events / r.cpu / 1e6).toFixed(2)} M events/s | ` +
      `peak RSS ${r.maxRssMB.toFixed(0)} MB (${r.events} events` + (r.verdict ? `, replay ${r.verdict}, ${r.divergences} divergences` : '') + ')\n',
  );
}

function runAll(file: string, size: number, runs: [string, string, string[]][]): void {
  for (const [mode, label, flags] of runs) {
    try {
      report(label, runChild(mode, file, flags), size);
    } catch (e) {
      process.stdout.write(`${label}: ${(e as Error).message.split('\n')[0]}\n`);
    }
  }
}

/**
 * Speed on PEERPROP_BENCH_TRACE_MB (default 200 MB), memory on PEERPROP_BENCH_MEMORY_MB (default
 * 1000 MB; 0 skips it). Both files are generated once and kept in the temp dir.
 */
export async function run(): Promise<void> {
  const mb = Number(process.env.PEERPROP_BENCH_TRACE_MB ?? 200);
  const memMb = Number(process.env.PEERPROP_BENCH_MEMORY_MB ?? 1000);
  const { file, size } = await traceFile(mb);
  wcLines(file); // warm the page cache
  const wc = wcLines(file);
  process.stdout.write(`speed: ${file}, ${size.toFixed(0)} MB, ${wc.lines} lines\n`);
  process.stdout.write(`wc -l            ${wc.wall.toFixed(2)} s  ${(size / wc.wall).toFixed(0)} MB/s  (the floor)\n`);
  const idle = runChild('idle', file);
  process.stdout.write(`node + loader    peak RSS ${idle.maxRssMB.toFixed(0)} MB before reading anything\n`);
  runAll(file, size, [
    ['parse', 'parse only', []],
    ['replay', 'parse+replay', []],
  ]);
  if (memMb > 0) {
    const m = await traceFile(memMb);
    wcLines(m.file);
    const mwc = wcLines(m.file);
    process.stdout.write(`memory: ${m.file}, ${m.size.toFixed(0)} MB, ${mwc.lines} lines\n`);
    process.stdout.write(`wc -l            ${mwc.wall.toFixed(2)} s  ${(m.size / mwc.wall).toFixed(0)} MB/s  (the floor)\n`);
    // The last run caps the V8 heap far below the trace size: it completes only if memory is flat.
    runAll(m.file, m.size, [
      ['parse', 'parse only', []],
      ['replay', 'parse+replay', []],
      ['parse', 'parse, 64MB heap', ['--max-old-space-size=64', '--max-semi-space-size=4']],
      ['replay', 'replay, 64MB heap', ['--max-old-space-size=64', '--max-semi-space-size=4']],
    ]);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
