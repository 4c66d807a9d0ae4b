import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { badInput } from '../core/errors.ts';
import { ERAS, STAGES, type Era, type Stage } from '../model/types.ts';
import type { FileReplayOptions } from '../replay/files.ts';
import { PICTURE_FORMATS, REPLAY_FORMATS, type ReplayFormat } from '../replay/formats.ts';
import { packageVersion } from '../core/version.ts';

interface ReplayCliOptions {
  era?: Era;
  stage?: Stage;
  kernel?: string;
  probes?: string;
  symbols?: string;
  format: ReplayFormat;
  maxDivergences: string;
  jobs?: string;
}

/** `peerprop replay <trace...>`: argv -> replayFiles() -> report + exit code. */
export const registerReplay: RegisterCommand = (program, io, state) => {
  program
    .command('replay')
    .description(
      'replay kernel trace logs (ftrace text, trace-cmd report, serial captures, JSON lines; gzip, xz, zstd, bzip2, lz4;\n' +
        '- for stdin) through the ' +
        "reference model of the era: divergences with the trace line and the route's history, then what was checked.\n" +
        'Exit 0 conformant, 1 divergence, 2 bad input (a damaged compressed trace too) or nothing to check.',
    )
    .argument('<trace...>', 'trace files (- = standard input)')
    .addOption(new Option('--era <era>', 'protocol era (default: detected from the events)').choices(ERAS as unknown as string[]))
    .addOption(
      new Option(
        '--stage <stage>',
        'pmtu-redirect (2.6.39 .. 3.5): the stage of the kernel\'s code (S2 2.6.39, S3 3.0-3.1, S4 3.2, S5 3.3-3.5; a\n' +
          'backport may differ: `peerprop conform` reads it from the kernel\'s code). Default: not known, and what only the stage\n' +
          'decides is left unchecked',
      ).choices(STAGES as unknown as string[]),
    )
    .option(
      '--kernel <kernel>',
      'the kernel the trace was taken on (debian, debian-6.12, debian-rt, its bzImage, or a directory holding it with its vmlinux\n' +
        'and System.map): the era and stage are read from its code (types and symbols), as conform reads them',
    )
    .option('--probes <file>', 'probe map (JSON) saying which trace events mean which canonical events')
    .option('--symbols <file>', 'System.map or kallsyms of the traced boot, for trace-cmd report / perf script text that prints\n' +
      'callers as addresses (a trace.dat or perf.data is read through trace-cmd / perf; a trace.dat brings its own symbols)')
    .addOption(formatOption(REPLAY_FORMATS, 'text'))
    .option('--max-divergences <n>', 'divergences reported per trace (all are counted)', '100')
    .option(
      '--jobs <n>',
      'worker threads that read a regular file of ftrace or trace-cmd text in chunks while this thread replays\n' +
        '(`all`: one per core; 1: everything on this thread). The same events and verdict either way; it pays only\n' +
        'where cores are free (on 2 busy cores it is slower than the default: README, Performance)',
    )
    .action(
      bindAction(state, async (traces: string[], opts: ReplayCliOptions) => {
        if (!/^\d+$/.test(opts.maxDivergences) || Number(opts.maxDivergences) < 1) {
          throw badInput(`--max-divergences must be an integer >= 1 (got ${JSON.stringify(opts.maxDivergences)})`);
        }
        if (opts.stage && opts.era && opts.era !== 'pmtu-redirect') throw badInput(`--stage applies to the pmtu-redirect era only (got --era ${opts.era})`);
        if (opts.kernel && (opts.stage || opts.era)) throw badInput(`--kernel reads the era and stage from the kernel's code: give --kernel or --era/--stage, not both`);
        const fromKernel = opts.kernel ? await (await import('../replay/kernel-era.ts')).eraOfKernel(opts.kernel, (s) => io.stderr.write(`peerprop: ${s}\n`)) : undefined;
        if (fromKernel) io.stderr.write(`peerprop: kernel ${fromKernel.release}: era ${fromKernel.era}${fromKernel.stage ? `, stage ${fromKernel.stage}` : ''}, read from its code\n`);
        if (traces.filter((t) => t === '-').length > 1) throw badInput('standard input (-) can be replayed only once');
        const threads = opts.jobs === undefined ? undefined : await jobsOption(opts.jobs);
        // The reader and replay are loaded only when this command runs; the HTML and Perfetto
        // writers only for those formats.
        const probeMap = opts.probes ? await (await import('../trace/probemap-load.ts')).loadProbeMap(opts.probes) : undefined;
        const { replayFiles } = await import('../replay/files.ts');
        const { exitCodeFor } = await import('../replay/exit-code.ts');
        const pictures = PICTURE_FORMATS.includes(opts.format) ? await import('../replay/pictures.ts') : undefined;
        const run = pictures ? pictures.replayFilesWithTimelines : async (t: string[], o: FileReplayOptions) => ({ reports: await replayFiles(t, o), timelines: [] });
        const { reports, timelines } = await run(traces, {
          ...(opts.era ? { era: opts.era } : {}),
          ...(opts.stage ? { stage: opts.stage } : {}),
          ...(fromKernel ? { era: fromKernel.era, eraReason: fromKernel.reason, ...(fromKernel.stage ? { stage: fromKernel.stage } : {}) } : {}),
          ...(probeMap ? { probeMap } : {}),
          maxDivergences: Number(opts.maxDivergences),
          stdin: io.stdin,
          ...(opts.symbols ? { symbols: opts.symbols } : {}),
          ...(threads !== undefined ? { threads } : {}),
        });
        for (const r of reports) {
          const p = r.read.printer;
          if (p) io.stderr.write(`peerprop: ${r.read.file}: printed by ${p.name}${p.command ? ` (read through \`${p.command}\`)` : ''}\n`);
          for (const w of r.read.warnings) io.stderr.write(`peerprop: ${r.read.file}: warning: ${w}\n`);
        }
        const exitCode = exitCodeFor(reports);
        if (pictures) {
          const format = opts.format as 'html' | 'perfetto';
          io.stdout.write(pictures.formatPictures(reports, format, { timelines, exitCode, generator: `peerprop ${packageVersion()}` }));
        } else io.stdout.write((await import('../replay/render.ts')).formatReports(reports, opts.format));
        return exitCode;
      }),
    );
};

/** `--jobs`: workers for the chunked reader; 1 keeps the reading on this thread (no worker at all). */
async function jobsOption(jobs: string): Promise<number | false> {
  const n = jobs === 'all' ? (await import('node:os')).availableParallelism() : /^\d+$/.test(jobs) ? Number(jobs) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) throw badInput(`--jobs must be an integer from 1 to 256, or all (got ${JSON.stringify(jobs)})`);
  return n === 1 ? false : n;
}
