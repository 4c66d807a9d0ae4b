/**
 * `peerprop scan` figures:
 *  1. one route.c through the pipeline, time per stage (parse, extract, era, check), for each
 *     fixture tree and the Debian linux-source-6.1 tree when it is unpacked;
 *  2. a generated 1,000-revision history (most commits touch other files, some route.c; some of
 *     those change a helper the PMTU check runs, so the check memo must miss there), scanned
 *     from the object store with --jobs 1 and --jobs 2: revisions per second, blob reuse,
 *     differential checks actually run, and the share of time per stage.
 * Target: 1,000 revisions in under a minute on one core with blob reuse; --jobs scales.
 * PEERPROP_BENCH_SCAN=memo:1,blob:2 runs only those history scenarios (check memo or blob reuse
 * only, --jobs N) and skips the per-tree figures: for a quick comparison on a busy machine.
 * PEERPROP_SCAN_GIT=/path/to/linux adds the real history v2.6.38..v3.1 of net/ipv4/route.c.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyse } from '../src/scan/analyse.ts';
import { clearCheckMemo } from '../src/scan/differential.ts';
import { scanHistory } from '../src/scan/index.ts';
import { readTreeSources } from '../src/scan/sources.ts';
import type { ScanEntry, StageTimings } from '../src/scan/types.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(root, 'kernel-fixtures/trees');
const DEBIAN = process.env.PEERPROP_TREE ?? '/usr/src/linux-source-6.1';
const STAGES: (keyof StageTimings)[] = ['parse', 'extract', 'era', 'check'];

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`;
}

/** Mean wall time per stage of one analysis (memo cleared: the check really runs), and CPU time. */
async function oneTree(label: string, dir: string, rounds: number): Promise<void> {
  const sources = await readTreeSources(dir);
  clearCheckMemo();
  analyse(sources); // warm-up: parser creation, JIT
  const sum: Record<string, number> = {};
  let verdict = analyse(sources);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    clearCheckMemo();
    verdict = analyse(sources);
    for (const s of STAGES) sum[s] = (sum[s] ?? 0) + (verdict.timings?.[s] ?? 0);
  }
  const total = (performance.now() - t0) / rounds;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / rounds;
  const stages = STAGES.map((s) => `${s} ${fmt((sum[s] ?? 0) / rounds)}`).join(', ');
  process.stdout.write(
    `  ${label.padEnd(22)} ${String(sources.routeC?.length ?? 0).padStart(6)} B  wall ${fmt(total).padStart(9)}  cpu ${fmt(cpuMs).padStart(9)}  (${stages})  -> ${verdict.era} ${verdict.status}/${verdict.checked}\n`,
  );
}

interface Commit {
  message: string;
  files: Record<string, string>;
}

/** Writes a linear history with `git fast-import` (seconds for 1,000 commits, unlike `git commit`). */
function fastImport(dir: string, commits: Commit[]): void {
  execFileSync('git', ['init', '-q', dir]);
  execFileSync('git', ['-C', dir, 'symbolic-ref', 'HEAD', 'refs/heads/main']);
  const parts: Buffer[] = [];
  const data = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    parts.push(Buffer.from(`data ${b.length}\n`), b, Buffer.from('\n'));
  };
  commits.forEach((c, i) => {
    parts.push(Buffer.from(`commit refs/heads/main\nmark :${i + 1}\ncommitter bench <bench@peerprop.invalid> ${1_300_000_000 + i * 60} +0000\n`));
    data(c.message);
    if (i > 0) parts.push(Buffer.from(`from :${i}\n`));
    for (const [p, content] of Object.entries(c.files)) {
      parts.push(Buffer.from(`M 100644 inline ${p}\n`));
      data(content);
    }
    parts.push(Buffer.from('\n'));
  });
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: Buffer.concat(parts), maxBuffer: 1 << 30 });
}

/**
 * 1,000 commits: every `routeEvery`-th commit rewrites route.c (cycling through the fixture
 * stages, each rewrite a new blob), the others touch unrelated files.
 */
function generateHistory(n: number, routeEvery: number): { dir: string; routeCommits: number } {
  const stages = ['pre-seed', 'seed', 'pmtu-redirect'].filter((s) => existsSync(join(FIXTURES, s, 'net/ipv4/route.c')));
  const read = (stage: string, p: string) => {
    const f = join(FIXTURES, stage, p);
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  const commits: Commit[] = [];
  let routeCommits = 0;
  for (let i = 0; i < n; i++) {
    const files: Record<string, string> = {};
    if (i === 0 || i % routeEvery === 0) {
      const stage = stages[routeCommits % stages.length]!;
      let text = read(stage, 'net/ipv4/route.c')!;
      // Every other pmtu-redirect commit edits ip_rt_update_pmtu, a helper only the PMTU
      // operations run: the memo must check those afresh (the others change a comment only).
      if (stage === 'pmtu-redirect' && Math.floor(routeCommits / stages.length) % 2 === 1) {
        text = text.replace('\tdst_confirm(dst);\n', `\tdst_confirm(dst); /* revision ${i} */\n`);
      }
      files['net/ipv4/route.c'] = `${text}\n/* revision ${i} */\n`;
      for (const h of ['include/net/route.h', 'include/net/inetpeer.h']) {
        const t = read(stage, h);
        if (t !== undefined) files[h] = t;
      }
      routeCommits++;
    } else {
      files[`drivers/net/file${i % 37}.c`] = `/* unrelated change ${i} */\nint x${i};\n`;
    }
    commits.push({ message: i % routeEvery === 0 ? `net: route.c change ${i}` : `drivers: unrelated change ${i}`, files });
  }
  const dir = mkdtempSync(join(tmpdir(), 'peerprop-bench-scan-'));
  fastImport(dir, commits);
  return { dir, routeCommits };
}

function stageShares(entries: ScanEntry[], wallMs: number, jobs: number): string {
  const analysed = entries.filter((e) => !e.reusedFrom);
  const sums = STAGES.map((s) => analysed.reduce((t, e) => t + (e.verdict.timings?.[s] ?? 0), 0));
  const analysis = sums.reduce((a, b) => a + b, 0);
  // Analysis time is CPU time summed over workers; the rest of the wall time (per core) is git + scheduling.
  const capacity = wallMs * jobs;
  const other = Math.max(0, capacity - analysis);
  const pct = (x: number) => `${((100 * x) / capacity).toFixed(1)}%`;
  return [...STAGES.map((s, i) => `${s} ${pct(sums[i]!)}`), `git+dispatch+idle ${pct(other)}`].join(', ');
}

export async function run(): Promise<void> {
  // Wall times mean little on a shared machine: the load average and the CPU time are printed too.
  process.stdout.write(`machine: ${cpus().length} cores, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}\n`);
  process.stdout.write('one route.c through the pipeline (mean of repeated runs):\n');
  const only = process.env.PEERPROP_BENCH_SCAN?.split(',').map((x) => x.trim());
  for (const stage of only ? [] : ['pre-seed', 'seed', 'pmtu-redirect', 'fnhe']) {
    const dir = join(FIXTURES, stage);
    if (existsSync(join(dir, 'net/ipv4/route.c'))) await oneTree(`fixture ${stage}`, dir, 20);
  }
  if (only) process.stdout.write(`  (per-tree figures skipped: PEERPROP_BENCH_SCAN=${only.join(',')})\n`);
  else if (existsSync(join(DEBIAN, 'net/ipv4/route.c'))) await oneTree('linux-6.1 tree', DEBIAN, 10);
  else process.stdout.write(`  (${DEBIAN} not unpacked: real-tree figure skipped)\n`);

  const N = 1000;
  const every = 20;
  const t0 = performance.now();
  // N + 1 commits: the range root..main holds exactly N revisions.
  const { dir, routeCommits } = generateHistory(N + 1, every);
  process.stdout.write(
    `history: ${N} revisions, ${routeCommits} commits change route.c (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  try {
    const range = `${firstCommit(dir)}..main`;
    const scenarios: { memo: boolean; jobs: number }[] = [
      { memo: false, jobs: 1 },
      { memo: false, jobs: 2 },
      { memo: true, jobs: 1 },
      { memo: true, jobs: 2 },
    ].filter((x) => !only || only.includes(`${x.memo ? 'memo' : 'blob'}:${x.jobs}`));
    // Best of ROUNDS per scenario: on a shared machine the minimum is the least disturbed run.
    const rounds = Math.max(1, Number(process.env.PEERPROP_BENCH_ROUNDS ?? 1));
    for (const { memo, jobs } of scenarios) {
      // Workers copy process.env when they start: the knob reaches them.
      process.env.PEERPROP_SCAN_MEMO = memo ? '1' : '0';
      let best: { wall: number; cpu: number; entries: ScanEntry[]; stats: { analysed: number; reused: number } } | undefined;
      for (let r = 0; r < rounds; r++) {
        clearCheckMemo();
        const cpu0 = process.cpuUsage();
        const start = performance.now();
        const { entries, stats } = await scanHistory(dir, range, { jobs });
        const wall = performance.now() - start;
        const c = process.cpuUsage(cpu0);
        const cpu = (c.user + c.system) / 1000;
        if (!best || wall < best.wall) best = { wall, cpu, entries, stats };
      }
      const { wall, cpu, entries, stats } = best!;
      const checksRun = entries.filter((e) => !e.reusedFrom && e.verdict.checked === 'differential' && !e.verdict.details?.some((d) => d.startsWith('result reused'))).length;
      const byStatus = entries.reduce<Record<string, number>>((m, e) => {
        m[e.verdict.status] = (m[e.verdict.status] ?? 0) + 1;
        return m;
      }, {});
      process.stdout.write(
        `  ${memo ? 'blob reuse + check memo' : 'blob reuse only        '} --jobs ${jobs}: ${entries.length} revisions in ${(wall / 1000).toFixed(2)} s = ${(entries.length / (wall / 1000)).toFixed(0)} revisions/s ` +
          `(node CPU ${(cpu / 1000).toFixed(1)} s, ${(cpu / wall).toFixed(2)} cores busy); analysed ${stats.analysed} distinct blob sets, reused ${stats.reused}, differential checks run ${checksRun}; verdicts ${JSON.stringify(byStatus)}\n`,
      );
      process.stdout.write(`    share of time: ${stageShares(entries, wall, jobs)}\n`);
    }
  } finally {
    delete process.env.PEERPROP_SCAN_MEMO;
    rmSync(dir, { recursive: true, force: true });
  }
  const real = process.env.PEERPROP_SCAN_GIT;
  if (real) await realHistory(real);
  else process.stdout.write('real history: set PEERPROP_SCAN_GIT to a Linux repository (v2.6.38..v3.1) for its figure\n');
  process.stdout.write(`load average at the end: ${loadavg()[0]!.toFixed(1)}\n`);
}

/** A release's commit: its tag, or the commit whose subject is "Linux X.Y" (mirrors without tags). */
function release(repo: string, tag: string): string {
  const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' }).trim();
  try {
    return git('rev-parse', '--verify', '--quiet', `${tag}^{commit}`);
  } catch {
    return git('log', '-1', '--format=%H', `--grep=^Linux ${tag.slice(1).replace(/\./g, '\\.')}$`, 'HEAD');
  }
}

/** `scan --git REPO --revs v2.6.38..v3.1 -- net/ipv4/route.c` with the check memo, one core. */
async function realHistory(repo: string): Promise<void> {
  const range = `${release(repo, 'v2.6.38')}..${release(repo, 'v3.1')}`;
  clearCheckMemo();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const { entries, stats } = await scanHistory(repo, range, { jobs: 1, paths: ['net/ipv4/route.c'] });
  const wall = performance.now() - start;
  const c = process.cpuUsage(cpu0);
  const checks = entries.filter((e) => !e.reusedFrom && e.verdict.checked === 'differential' && !e.verdict.details?.some((d) => d.startsWith('result reused'))).length;
  const byStatus: Record<string, number> = {};
  for (const e of entries) byStatus[e.verdict.status] = (byStatus[e.verdict.status] ?? 0) + 1;
  process.stdout.write(
    `real history v2.6.38..v3.1 -- net/ipv4/route.c: ${entries.length} revisions in ${(wall / 1000).toFixed(1)} s (node CPU ${((c.user + c.system) / 1e6).toFixed(1)} s); ` +
      `analysed ${stats.analysed}, differential checks run ${checks}; verdicts ${JSON.stringify(byStatus)}\n`,
  );
}

function firstCommit(dir: string): string {
  return execFileSync('git', ['-C', dir, 'rev-list', '--max-parents=0', 'main'], { encoding: 'utf8' }).trim();
}
