/**
 * `npm run bench -- startup`: how long a command takes before it does anything, from the compiled
 * build (dist/, what `npm ci` leaves) and from the sources through tsx (PEERPROP_FROM_SOURCE=1):
 * `--help`, and a replay of a small shipped trace (targets: under 0.2 s and 0.4 s from the build).
 * Median of 5 runs, each a fresh process: wall time, CPU time (user + system: less sensitive to a
 * loaded host than the wall time) and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain ES module without types
import { sourceStamp } from '../scripts/source-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${ROOT}bin/peerprop.mjs`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: string[], env: Record<string, string>): { s: number; cpuS: number; rssMB: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    walls.push((performance.now() - t0) / 1000);
    const m = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
    cpus.push(Number(m?.[1] ?? 0) + Number(m?.[2] ?? 0));
    rss.push(Number(m?.[3] ?? 0) / 1024);
  }
  return { s: median(walls), cpuS: median(cpus), rssMB: median(rss) };
}

export async function run(): Promise<void> {
  const stamp = `${ROOT}dist/.source-stamp`;
  const built = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === (sourceStamp(`${ROOT}src`) as string);
  if (!built) process.stdout.write('dist/ is missing or older than src/: run `npm run build` for the build figures\n');
  const cases: [string, string[]][] = [
    ['--help', ['--help']],
    ['replay (small trace)', ['replay', 'traces/linux-3.0.1_run2-s2.ftrace.txt']],
  ];
  for (const [label, args] of cases) {
    const src = time(args, { PEERPROP_FROM_SOURCE: '1' });
    const line = [`${label.padEnd(22)} sources (tsx) ${src.s.toFixed(2)} s (cpu ${src.cpuS.toFixed(2)} s), ${src.rssMB.toFixed(0)} MB`];
    if (built) {
      const b = time(args, {});
      line.push(`build ${b.s.toFixed(2)} s (cpu ${b.cpuS.toFixed(2)} s), ${b.rssMB.toFixed(0)} MB`);
    }
    process.stdout.write(line.join(' | ') + '\n');
  }
  const walls: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    walls.push((performance.now() - t0) / 1000);
  }
  process.stdout.write(`${'node -e 0'.padEnd(22)} ${median(walls).toFixed(2)} s (the floor); load average ${loadavg()[0]!.toFixed(1)}\n`);
}
