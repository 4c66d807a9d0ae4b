/**
 * Trace reading speed and memory (`npm run bench trace`).
 *
 * Generates a large conforming trace (the reference model's own event stream,
 * src/model/generate.ts generateEvents, rendered as Linux 3.0 kprobe ftrace text exactly as the
 * real traces print it: bare hex, inlined binds seen through inet_getpeer and its caller, markers),
 * then measures, each in a fresh child process (so peak RSS is the reader's own):
 *   - `wc -l` on the same file (the floor) and a `mawk` one-liner splitting every line into fields
 *     and counting the binds (what a user would write instead), with our time's ratio to each,
 *   - parse only (openTrace → batches, events counted), and again with the JavaScript line scanner
 *     (PEERPROP_TRACE_SCANNER=js) beside the default compiled one (src/trace/wasm),
 *   - parse + replay (src/replay, the era given), on one thread and with the reading on a worker
 *     thread (src/trace/parallel: the default of `peerprop replay` for large files), and with the
 *     file split into chunks read by one worker per core (src/trace/parallel/chunks),
 *   - parse + replay again with V8's default heap policy (the CLI asks V8 to favour memory), and
 *     with the V8 heap capped at 64 MB (it completes only if memory is flat),
 *   - a bare loop that only takes this exact line layout apart (floorChild): the ceiling of any
 *     JavaScript reader here,
 *   - replay alone, the events read into memory first (replayAloneChild): the serial part, which
 *     bounds parse+replay from below on any number of cores,
 * and prints MB/s, lines/s, events/s, CPU seconds and peak RSS (the process's own, including
 * Node and the tsx loader: about 90 MB before reading anything).
 *
 * Sizes: PEERPROP_BENCH_TRACE_MB (default 200) for speed, PEERPROP_BENCH_MEMORY_MB (default 1000,
 * 0 = skip) for memory. The files are kept in the temp dir between runs (`-v2`: markers are never
 * written inside an open PMTU/redirect path, so the trace conforms).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
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
  /** CPU seconds of the main thread alone (reading on workers: what it spends building events and replaying). */
  mainCpu?: number;
  /** replay-alone: the best wall seconds of a pass once the JIT is warm. */
  warm?: number;
}

/** This process's main thread's CPU seconds so far (/proc: utime + stime in clock ticks of 10 ms). */
function mainThreadCpu(): number | undefined {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

async function child(mode: string, file: string): Promise<void> {
  if (process.env.PEERPROP_BENCH_FAVOUR_MEMORY === '1') (await import('../src/core/memory.ts')).favourMemory();
  if (mode === 'floor') return floorChild(file);
  const { openTrace } = await import('../src/trace/index.ts');
  const { replay } = await import('../src/replay/index.ts'); // loaded before the clock starts
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const t0 = performance.now();
  if (mode === 'idle') {
    const res: ChildResult = { mode, wall: 0, cpu: 0, lines: 0, events: 0, bytes: 0, maxRssMB: process.resourceUsage().maxRSS / 1024 };
    process.stdout.write(JSON.stringify(res));
    return;
  }
  if (mode === 'replay-alone') return replayAloneChild(file);
  // `-threads`: read on a worker thread while this thread replays (openTrace's default for large
  // files); otherwise everything on this thread.
  // `-cores`: split into chunks read by one worker per core (src/trace/parallel/chunks) while this thread replays.
  const threads = mode.endsWith('-cores') ? availableParallelism() : mode.endsWith('-threads');
  const reader = await openTrace(file, { threads });
  let events = 0;
  let verdict: string | undefined;
  let divergences: number | undefined;
  // `replay-columns-*` / `replay-cursor-*`: the reader's column batches handed to replay unbuilt,
  // as `peerprop replay` does (Replay.pushColumns: built per batch / read through one reused event).
  const via = mode.startsWith('replay-cursor') ? 'cursor' : mode.startsWith('replay-columns') ? 'objects' : undefined;
  if (via && reader.columnBatches) {
    const { Replay } = await import('../src/replay/index.ts');
    const r = new Replay({ era: 'pmtu-redirect', maxDivergences: 10, columns: via });
    for await (const p of reader.columnBatches()) {
      events += p.batch.n;
      r.pushColumns(p.batch, p.table);
    }
    const rep = r.finish();
    verdict = rep.verdict;
    divergences = rep.divergenceCount;
  } else if (mode.startsWith('replay')) {
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
  const m1 = mainThreadCpu();
  if (m0 !== undefined && m1 !== undefined) res.mainCpu = m1 - m0;
  process.stdout.write(JSON.stringify(res));
}

/**
 * Replay alone, the serial part of any reader: the whole trace is read into memory first (not
 * timed), then replayed three times, each by a new Replay. The first pass (a cold JIT, as in one
 * `peerprop replay`) is the result; `warm` is the best of the other two. Replay judges events in
 * trace order against one global genid, so more cores cannot make this part faster: parse+replay
 * on any number of cores takes at least this long.
 */
async function replayAloneChild(file: string): Promise<void> {
  const { openTrace } = await import('../src/trace/index.ts');
  const { Replay } = await import('../src/replay/index.ts');
  const reader = await openTrace(file, { threads: false });
  const batches = [];
  let events = 0;
  for await (const b of reader.batches()) {
    batches.push(b);
    events += b.length;
  }
  const passes: { wall: number; cpu: number; verdict: string; divergences: number }[] = [];
  for (let k = 0; k < 3; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = new Replay({ era: 'pmtu-redirect', maxDivergences: 10, file: reader.file });
    for (const b of batches) for (const e of b) r.push(e);
    const rep = r.finish();
    const cu = process.cpuUsage(c0);
    passes.push({ wall: (performance.now() - t0) / 1000, cpu: (cu.user + cu.system) / 1e6, verdict: rep.verdict, divergences: rep.divergenceCount });
  }
  const first = passes[0]!;
  const res: ChildResult = {
    mode: 'replay-alone', wall: first.wall, cpu: first.cpu, lines: reader.stats.lines, events, bytes: reader.stats.bytes,
    maxRssMB: process.resourceUsage().maxRSS / 1024, verdict: first.verdict, divergences: first.divergences,
    warm: Math.min(passes[1]!.wall, passes[2]!.wall),
  };
  process.stdout.write(JSON.stringify(res));
}

/**
 * The ceiling of any JavaScript reader on this machine: a loop that only takes this exact line
 * layout apart (columns, name hash, `name=value` args as numbers), with no validation, no other
 * layout, no probe map, no event objects and no replay. It is not a reader (it would accept
 * garbage); it shows how far from the bare loop the real one is.
 */
function floorChild(file: string): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const fd = openSync(file, 'r');
  const CH = 1 << 20;
  const buf = Buffer.allocUnsafe(CH + (1 << 16));
  const vals = new Float64Array(32);
  let lines = 0;
  let acc = 0;
  let carry = 0;
  let bytes = 0;
  for (;;) {
    const n = readSync(fd, buf, carry, CH, null);
    if (n <= 0) break;
    bytes += n;
    const end = carry + n;
    let a = 0;
    for (;;) {
      const nl = buf.indexOf(10, a);
      if (nl < 0 || nl >= end) break;
      lines++;
      if (buf[a] !== 35) acc = (acc + floorLine(buf, a, nl, vals)) | 0;
      a = nl + 1;
    }
    carry = end - a;
    buf.copy(buf, 0, a, end);
  }
  closeSync(fd);
  const cu = process.cpuUsage(c0);
  const res: ChildResult = {
    mode: 'floor', wall: (performance.now() - t0) / 1000, cpu: (cu.user + cu.system) / 1e6, lines, events: lines, bytes,
    maxRssMB: process.resourceUsage().maxRSS / 1024, verdict: acc === 0.5 ? 'x' : undefined,
  };
  process.stdout.write(JSON.stringify(res));
}

function floorLine(u8: Buffer, a: number, e: number, vals: Float64Array): number {
  let p = a;
  while (p < e && u8[p] === 32) p++;
  while (p < e && u8[p] !== 91) p++; // task-pid, up to the CPU field
  let cpu = 0;
  for (p++; p < e && u8[p] !== 93; p++) cpu = cpu * 10 + u8[p]! - 48;
  for (p++; p < e && u8[p] === 32; p++);
  let ts = 0;
  for (; p < e && u8[p] !== 58; p++) if (u8[p] !== 46) ts = ts * 10 + u8[p]! - 48;
  let h = 0;
  for (p += 2; p < e && u8[p] !== 58; p++) h = (Math.imul(h, 31) + u8[p]!) | 0;
  for (p += 2; p < e && u8[p] !== 41; p++);
  let k = 0;
  for (p += 2; p < e && k < 32; k++) {
    while (p < e && u8[p] !== 61) p++;
    let v = 0;
    for (p++; p < e && u8[p] !== 32; p++) {
      const c = u8[p]!;
      v = v * 16 + (c <= 57 ? c - 48 : c - 87);
    }
    vals[k] = v;
    p++;
  }
  return (h + cpu + k + (ts | 0)) | 0;
}

function runChild(mode: string, file: string, v8flags: string[] = [], favourMemory = false): ChildResult {
  const env: NodeJS.ProcessEnv = { ...process.env, PEERPROP_BENCH_FAVOUR_MEMORY: favourMemory ? '1' : '0' };
  // `MODE:js`: the same run with the JavaScript line scanner (the reference of the compiled one).
  if (mode.endsWith(':js')) {
    mode = mode.slice(0, -3);
    env.PEERPROP_TRACE_SCANNER = 'js';
  }
  const r = spawnSync(process.execPath, [...v8flags, '--import', 'tsx/esm', SELF, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20, env });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

function wcLines(file: string): { wall: number; lines: number } {
  const r = timed('wc', ['-l', file]);
  return { wall: r.wall, lines: Number(r.out.trim().split(/\s+/)[0]) };
}

/** A command's wall and CPU seconds (user + sys, from bash's `time`) and its stdout. */
interface Timed {
  wall: number;
  cpu: number;
  out: string;
}

function timed(cmd: string, args: string[]): Timed {
  const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time ${quoted}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.trim().split('\n')[0]}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  return { wall, cpu: user + sys, out: r.stdout };
}

/**
 * What a user would write instead of a reader: mawk splitting every line into fields and counting
 * the binds by the probed function's column (`(rt_bind_peer+0x0/0x60)`). Not a reader either (no
 * pairing, no validation), but the bar a tool for this job is measured against.
 */
const MAWK_PROGRAM = '$5 ~ /rt_bind_peer/ {n++} END {print n+0}';

function mawkCount(file: string): (Timed & { count: number }) | string {
  if (spawnSync('mawk', ['-W', 'version'], { encoding: 'utf8' }).error) return 'mawk not installed (Debian package mawk; scripts/setup.sh installs it)';
  const r = timed('mawk', [MAWK_PROGRAM, file]);
  return { ...r, count: Number(r.out.trim()) };
}

/** The floor and the one-liner on the same file, printed before our own figures. */
function baselines(file: string, size: number): { wc: Timed; mawk?: Timed } {
  wcLines(file); // warm the page cache
  const w = timed('wc', ['-l', file]);
  const lines = Number(w.out.trim().split(/\s+/)[0]);
  process.stdout.write(`${file}, ${size.toFixed(0)} MB, ${lines} lines\n`);
  process.stdout.write(`wc -l             ${w.wall.toFixed(2)} s wall (${(size / w.wall).toFixed(0)} MB/s, ${(lines / w.wall / 1e6).toFixed(1)} M lines/s), ${w.cpu.toFixed(2)} s cpu  (the floor)\n`);
  const m = mawkCount(file);
  if (typeof m === 'string') {
    process.stdout.write(`mawk              ${m}\n`);
    return { wc: w };
  }
  process.stdout.write(
    `mawk              ${m.wall.toFixed(2)} s wall (${(size / m.wall).toFixed(0)} MB/s, ${(lines / m.wall / 1e6).toFixed(2)} M lines/s), ${m.cpu.toFixed(2)} s cpu` +
      `  (\`mawk '${MAWK_PROGRAM}'\`: ${m.count} binds)\n`,
  );
  return { wc: w, mawk: m };
}

/** Our time against the floor and the one-liner (>1: we are slower). */
function ratios(label: string, r: ChildResult | undefined, base: { wc: Timed; mawk?: Timed }): void {
  if (!r) return;
  const m = base.mawk;
  process.stdout.write(
    `${label.padEnd(17)} ${(r.wall / base.wc.wall).toFixed(1)}x wc -l` +
      (m ? `, ${(r.wall / m.wall).toFixed(2)}x mawk wall, ${(r.cpu / m.cpu).toFixed(2)}x mawk cpu` : '') +
      ` (${(r.events / r.wall / 1e6).toFixed(2)} M events/s wall)\n`,
  );
}

/**
 * The bound replay sets: its time alone (events already in memory) against the one-liner. A ratio
 * above 1 means no number of cores brings parse+replay down to the one-liner with this replay.
 */
function serialFloor(r: ChildResult | undefined, base: { wc: Timed; mawk?: Timed }): void {
  if (!r || !base.mawk) return;
  const m = base.mawk.wall;
  process.stdout.write(
    `replay alone      ${(r.wall / m).toFixed(2)}x mawk wall (cold JIT), ${r.warm !== undefined ? `${(r.warm / m).toFixed(2)}x warm` : ''}: ` +
      'the serial part, a lower bound of parse+replay on any number of cores\n',
  );
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
      `peak RSS ${r.maxRssMB.toFixed(0)} MB (${r.events} events` + (r.verdict ? `, replay ${r.verdict}, ${r.divergences} divergences` : '') + ')' +
      (r.mainCpu !== undefined && r.mainCpu < r.cpu - 0.05 ? ` | main thread ${r.mainCpu.toFixed(2)} s cpu` : '') +
      (r.warm !== undefined ? ` | warm JIT ${r.warm.toFixed(2)} s wall` : '') + '\n',
  );
}

/** The row of parse+replay with the chunked reader, one worker per core. */
const ALL_CORES = `p+r, all cores (${availableParallelism()} workers)`;

function runAll(file: string, size: number, runs: [string, string, string[], boolean][]): Map<string, ChildResult> {
  const out = new Map<string, ChildResult>();
  for (const [mode, label, flags, favour] of runs) {
    try {
      const r = runChild(mode, file, flags, favour);
      report(label, r, size);
      out.set(label, r);
    } catch (e) {
      process.stdout.write(`${label}: ${(e as Error).message.split('\n')[0]}\n`);
    }
  }
  return out;
}

/**
 * Speed on PEERPROP_BENCH_TRACE_MB (default 200 MB), memory on PEERPROP_BENCH_MEMORY_MB (default
 * 1000 MB; 0 skips it). Both files are generated once and kept in the temp dir.
 */
export async function run(): Promise<void> {
  const mb = Number(process.env.PEERPROP_BENCH_TRACE_MB ?? 200);
  const memMb = Number(process.env.PEERPROP_BENCH_MEMORY_MB ?? 1000);
  const { file, size } = await traceFile(mb);
  process.stdout.write('speed: ');
  const base = baselines(file, size);
  const idle = runChild('idle', file);
  process.stdout.write(`node + loader    peak RSS ${idle.maxRssMB.toFixed(0)} MB before reading anything\n`);
  // As `peerprop replay` runs (V8 told to favour memory: src/core/memory.ts), unless marked.
  const speed = runAll(file, size, [
    ['floor', 'bare JS loop', [], false],
    ['parse', 'parse only', [], true],
    ['parse:js', 'parse, JS scanner', [], true],
    ['replay', 'parse+replay', [], true],
    ['replay:js', 'p+r, JS scanner', [], true],
    ['replay-threads', 'p+r, 2 threads', [], true],
    ['replay-columns-threads', 'p+r, 2 thr, cols', [], true],
    ['replay-cursor-threads', 'p+r, 2 thr, cursor', [], true],
    ['parse-cores', 'parse, all cores', [], true],
    ['replay-cores', ALL_CORES, [], true],
    ['replay-cursor-cores', 'p+r, all cores, cursor', [], true],
    // Every event held at once (about 0.5 kB each): the heap must hold the whole trace.
    ['replay-alone', 'replay alone', ['--max-old-space-size=8192'], true],
  ]);
  process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (${availableParallelism()} cores)\n`);
  ratios('parse+replay', speed.get('parse+replay'), base);
  ratios('p+r, 2 threads', speed.get('p+r, 2 threads'), base);
  ratios('p+r, all cores', speed.get(ALL_CORES), base);
  serialFloor(speed.get('replay alone'), base);
  if (memMb > 0) {
    const m = await traceFile(memMb);
    process.stdout.write('memory: ');
    const mbase = baselines(m.file, m.size);
    // The last run caps the V8 heap far below the trace size: it completes only if memory is flat.
    const mem = runAll(m.file, m.size, [
      ['parse', 'parse only', [], true],
      ['replay', 'parse+replay', [], true],
      ['replay-threads', 'p+r, 2 threads', [], true],
      ['replay-cores', ALL_CORES, [], true],
      ['replay', 'replay, V8 default', [], false],
      ['replay', 'replay, 64MB heap', ['--max-old-space-size=64', '--max-semi-space-size=4'], false],
    ]);
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    ratios('parse+replay', mem.get('parse+replay'), mbase);
    ratios('p+r, 2 threads', mem.get('p+r, 2 threads'), mbase);
    ratios('p+r, all cores', mem.get(ALL_CORES), mbase);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
