/**
 * `npm run bench -- report`: the HTML and Perfetto reports of a large generated trace (the same
 * conforming 3.0.1-format trace as the trace bench, PEERPROP_BENCH_REPORT_MB, default 1000 MB)
 * against a plain text replay of the same file: wall time, peak RSS, and the size of each report
 * (goal: a 1 GB trace gives a report under 5 MB in about the time of its replay).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './trace.bench.ts';

const BIN = fileURLToPath(new URL('../bin/peerprop.mjs', import.meta.url));

function timed(format: string, file: string): { wall: number; rssMB: number; bytes: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'replay', '--format', format, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  const rssKB = Number(/(\d+)\s*$/.exec(r.stderr)?.[1] ?? 0);
  return { wall, rssMB: rssKB / 1024, bytes: Buffer.byteLength(r.stdout), code: r.status };
}

export async function run(): Promise<void> {
  const mb = Number(process.env.PEERPROP_BENCH_REPORT_MB ?? 1000);
  const file = join(tmpdir(), `peerprop-bench-trace-3.0-v2-${mb}MB.txt`);
  if (!existsSync(file) || statSync(file).size < mb * 1e6) await generate(file, mb * 1e6);
  const size = statSync(file).size / 1e6;
  process.stdout.write(`report: ${file}, ${size.toFixed(0)} MB\n`);
  const base = timed('text', file);
  for (const [format, r] of [['text', base], ['html', timed('html', file)], ['perfetto', timed('perfetto', file)]] as const) {
    process.stdout.write(
      `${format.padEnd(9)} ${r.wall.toFixed(2)} s wall (${(r.wall / base.wall).toFixed(2)}× the text replay), peak RSS ${r.rssMB.toFixed(0)} MB, ` +
        `report ${(r.bytes / 1e6).toFixed(2)} MB, exit ${r.code}\n`,
    );
  }
}
