/**
 * `peerprop conform`: boot a real kernel under QEMU with our probes and the TUN workload, and
 * judge each scenario twice: the user-visible contract (scenarios.ts, from the workload's
 * observations) and the mechanism (mechanism.ts, from the trace).
 *
 *   const report = await runConform({ kernel: 'debian', scenarios: ['udp-pmtu'] });
 *   report.exitCode            // 0 conformant, 1 divergence/failed run, 2 refused input, 3 environment
 *   toConformResults(report)   // TestResult tree for KTAP / JUnit
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { harnessCacheDir } from '../core/cache-dir.ts';
import { readMemo } from '../core/files.ts';
import { badInput, type ExitCode } from '../core/errors.ts';
import { log as coreLog } from '../core/log.ts';
import type { Era, Stage } from '../model/types.ts';
import type { KernelInfo, KernelSpec } from '../kernel/types.ts';
import type { ProbeSet } from '../probes/types.ts';
import type { ProbeMap } from '../trace/index.ts';
import { chooseAccel, type AccelChoice, type AccelDecision } from './accel.ts';
import { analyseConsole, expandCapture, parseCapture, traceEventCount, type ProbeFailure } from './capture.ts';
import { buildInitramfs, type GuestProbe } from './initramfs.ts';
import { checkMechanism, type MechanismReport } from './mechanism.ts';
import { parseWorkload } from './observations.ts';
import { bootQemu, findQemu, type BootResult } from './qemu.ts';
import { eventOf, exitCodeOf, judge, runProblems, type RunProblem, type ScenarioVerdict } from './verdict.ts';
import { SCENARIOS, SCENARIO_NAMES, scenarioByName, scenariosForEra } from './scenarios.ts';
import { buildWorkload, workloadLibcFor } from './workload-build.ts';

export interface ConformOptions {
  /** `debian` (default), `debian-6.12`, `debian-rt`, or a path to a bzImage. Ignored with `tree`. */
  kernel?: KernelSpec;
  /** Build a small test kernel from this source tree (build-kernel.ts) and boot it. */
  tree?: string;
  /** Scenario names (default: all, in catalogue order). */
  scenarios?: string[];
  accel?: AccelChoice;
  /** Keep console.log, capture.txt (the capture port, expanded), trace.txt, probes.txt, initramfs.cpio and report.json here. */
  keep?: string;
  /** Hard limit for the boot, seconds (default 120). */
  timeoutS?: number;
  /** Virtual CPUs of the guest (default 1); the two-CPU scenarios pin a thread to each. */
  cpus?: number;
  /** Model era (default: from the kernel's code: symbols, types). */
  era?: Era;
  cacheDir?: string;
  /** Test hook: the first ICMP injection of this scenario is not written (its subtest must fail). */
  dropInjection?: string;
  /** Test hook: the guest skips the workload, empties the trace before the dump, or crashes the kernel (sysrq c). */
  sabotage?: 'no-workload' | 'empty-trace' | 'panic';
  /** Progress lines (stderr logger by default). */
  log?: (line: string) => void;
}

/** The phases of a conform run whose wall time the report gives (not the kernel history's Stage). */
export type TimingPhase =
  | 'kernel' | 'probes' | 'initramfs' | 'accel' | 'bootToInit'
  /** /init start to probes enabled, and its parts: tun.ko, kallsyms pass, registration, enabling. */
  | 'guestProbes' | 'guestModules' | 'guestKallsyms' | 'guestRegister' | 'guestEnable'
  | 'scenarios' | 'capture' | 'replay' | 'total'
  /** QEMU's wall time from start to exit, and its CPU time (less sensitive to a loaded host). */
  | 'qemu' | 'qemuCpu';

export interface ConformReport {
  kernel: { spec: string; release: string; description: string; version: [number, number, number]; cpus: number };
  /** When the run started (ISO 8601, UTC): KCIDB's start_time. */
  startedAt?: string;
  era: Era;
  /** pmtu-redirect: the stage of the history the kernel's code shows (the replay model's). */
  stage?: Stage;
  /** What decided the era: the kernel's symbols and types, or `--era`. */
  eraFrom: string[];
  accel: AccelDecision;
  scenarios: ScenarioVerdict[];
  problems: RunProblem[];
  probes: {
    registered: number;
    /** Definitions the kernel refused, with no accepted fallback. */
    refused: ProbeFailure[];
    /** Rich definitions refused whose conservative fallback was accepted. */
    fellBack: string[];
    skipped: { event: string; symbol: string }[];
    inlined: { function: string; via: string[] }[];
  };
  trace: { lines: number; events: number; replay: string };
  /** Milliseconds per phase (host clock; guest phases from the console markers). */
  timings: Partial<Record<TimingPhase, number>>;
  console: { lastLines: string[] };
  kept?: string;
  exitCode: ExitCode;
}

export async function runConform(opts: ConformOptions = {}): Promise<ConformReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const say = opts.log ?? ((s: string) => coreLog.info(s));
  const asked = validateScenarios(opts.scenarios);
  const timeoutMs = validateTimeout(opts.timeoutS);
  if (opts.cpus !== undefined && !(Number.isInteger(opts.cpus) && opts.cpus >= 1 && opts.cpus <= 8)) throw badInput(`--smp must be 1..8 virtual CPUs, not ${opts.cpus}`);
  if (opts.dropInjection && !SCENARIO_NAMES.includes(opts.dropInjection)) throw badInput(`unknown scenario for the drop hook: ${opts.dropInjection}`);
  await findQemu(); // exit 3 before any download when QEMU is missing
  const timings: ConformReport['timings'] = {};
  const lap = async <T>(phase: TimingPhase, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await fn();
    } finally {
      timings[phase] = performance.now() - s;
    }
  };

  const kernel = await lap('kernel', () => acquireKernel(opts, say));
  const { generateProbes } = await import('../probes/index.ts');
  // Without --era the generator reads the era from the kernel's code (symbols, types).
  const set = await lap('probes', () => generateProbes(kernel, { era: opts.era }));
  const era = set.era;
  // By default, the scenarios whose contract this era states.
  const scenarios = asked ?? scenariosForEra(era, opts.cpus ?? 1);
  if (scenarios.length === 0) throw badInput(`no scenario states a contract for the ${era} era`);
  const desc = describe(kernel);
  say(`booting ${desc} (era ${era}${set.stage ? ` ${set.stage}` : ''}${set.eraFrom ? `: ${set.eraFrom.join('; ')}` : ''})`);

  const work = opts.keep ? resolve(opts.keep) : await mkdtemp(join(tmpdir(), 'peerprop-conform-'));
  await mkdir(work, { recursive: true });
  try {
    const paths = {
      initrd: join(work, 'initramfs.cpio'),
      captureRaw: join(work, 'capture.raw'),
      capture: join(work, 'capture.txt'),
      console: join(work, 'console.log'),
      probes: join(work, 'probes.txt'),
    };
    const guestProbes = toGuestProbes(set);
    const workload = await lap('initramfs', async () => {
      const wl = await buildWorkload({ cacheDir: opts.cacheDir, libc: workloadLibcFor(era, kernel.version) });
      await buildInitramfs({
        workload: wl.path,
        tunModule: kernel.tunModule,
        probes: guestProbes,
        symbols: set.kallsyms.symbols,
        groups: groupsOf(set),
        scenarios,
        output: paths.initrd,
        cacheDir: opts.cacheDir,
      });
      return wl;
    });
    await writeFile(paths.probes, guestProbes.map((p) => p.line + (p.fallback ? `\n# fallback: ${p.fallback}` : '')).join('\n') + '\n');

    const accel = await lap('accel', async () =>
      chooseAccel(opts.accel ?? 'tcg', {
        kernel: kernel.vmlinuz,
        bareInitrd: () => bareInitrd(workload.path, work, opts.cacheDir),
      }),
    );
    if (accel.probeMs > 0 || opts.accel === 'auto') say(accel.reason);

    const append: string[] = [];
    if (opts.dropInjection) append.push(`peerprop_drop=${opts.dropInjection}`);
    if (opts.sabotage) append.push(`peerprop_sabotage=${opts.sabotage}`);
    const boot = await bootQemu({
      kernel: kernel.vmlinuz,
      initrd: paths.initrd,
      append,
      accel: accel.accel,
      cpus: opts.cpus,
      timeoutMs,
      captureFile: paths.captureRaw,
      stopOn: /Kernel panic - not syncing/,
      onLine: (l) => {
        if (/^@@(SCENARIO_END|ERROR|PROBES|NO_TRACEFS|TUN_FAIL)/.test(l)) say(`guest: ${l}`);
      },
    });
    await writeFile(paths.console, boot.console);
    phaseTimings(boot, timings);

    const captureText = expandCapture(boot.capture);
    await writeFile(paths.capture, captureText);
    await rm(paths.captureRaw, { force: true });
    const capture = parseCapture(captureText);
    if (capture.probeSummary?.kallsymsMs !== undefined) timings.guestKallsyms = capture.probeSummary.kallsymsMs;
    if (capture.probeSummary?.registerMs !== undefined) timings.guestRegister = capture.probeSummary.registerMs;
    if (opts.keep && capture.trace) await writeFile(join(work, 'trace.txt'), capture.trace.lines.join('\n') + '\n');
    const cons = analyseConsole(boot.console);
    const records = parseWorkload(capture.workload?.lines ?? []);
    const problems = runProblems(boot, capture, cons, records, timeoutMs);

    let mech: MechanismReport | undefined;
    if (capture.trace && traceEventCount(capture) > 0) {
      mech = await lap('replay', async () =>
        // Kept: the real path (a bug report points into it); else the name the file would have.
        checkMechanism(paths.capture, { era, stage: set.stage, scenarios, probeMap: await probeMapOf(set), name: opts.keep ? paths.capture : 'capture.txt' }),
      );
    }
    const verdicts = scenarios.map((name) => judge(name, era, records, mech, problems, set.stage, { redirectsInPeer: set.redirectsInPeer }));
    timings.total = performance.now() - t0;
    const report: ConformReport = {
      kernel: { spec: kernel.spec, release: capture.kernel ?? kernel.release, description: desc, version: kernel.version, cpus: opts.cpus ?? 1 },
      startedAt,
      era,
      ...(set.stage ? { stage: set.stage } : {}),
      eraFrom: set.eraFrom ?? [],
      accel,
      scenarios: verdicts,
      problems,
      probes: {
        registered: capture.probesOk.length,
        refused: capture.probesFailed.filter((f) => !capture.probesOk.some((ok) => eventOf(ok) === eventOf(f.line))),
        fellBack: capture.probesFailed.filter((f) => capture.probesOk.some((ok) => eventOf(ok) === eventOf(f.line))).map((f) => f.line),
        skipped: capture.probesSkipped,
        inlined: set.inlined,
      },
      trace: { lines: capture.trace?.lines.length ?? 0, events: mech?.totalEvents ?? 0, replay: mech?.replay.note ?? 'no trace to replay' },
      timings,
      console: { lastLines: cons.lastLines },
      kept: opts.keep ? work : undefined,
      exitCode: exitCodeOf(problems, verdicts),
    };
    if (opts.keep) await writeFile(join(work, 'report.json'), JSON.stringify(reportToJson(report), null, 2) + '\n');
    return report;
  } finally {
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  }
}

function validateScenarios(names: string[] | undefined): string[] | undefined {
  if (!names || names.length === 0) return undefined;
  const out: string[] = [];
  for (const n of names.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!scenarioByName(n)) throw badInput(`unknown scenario "${n}" (known: ${SCENARIO_NAMES.join(', ')})`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

function validateTimeout(s: number | undefined): number {
  if (s === undefined) return 120_000;
  if (!Number.isFinite(s) || s <= 0) throw badInput(`--timeout must be a positive number of seconds, not ${s}`);
  return s * 1000;
}

async function acquireKernel(opts: ConformOptions, say: (s: string) => void): Promise<KernelInfo> {
  const { resolveKernel } = await import('../kernel/index.ts');
  if (opts.tree) {
    const { buildTreeKernel } = await import('./build-kernel.ts');
    const built = await buildTreeKernel(opts.tree, { cacheDir: opts.cacheDir, log: say });
    return resolveKernel(built.bzImage, { cacheDir: opts.cacheDir, vmlinux: built.vmlinux });
  }
  const spec = opts.kernel ?? 'debian';
  const { DEBIAN_KERNELS } = await import('../kernel/index.ts');
  if (!DEBIAN_KERNELS[spec]) return resolveKernel(spec, { cacheDir: opts.cacheDir, log: say });
  // Asking apt which package the metapackage means costs 1-5 s (apt-cache reads its whole
  // cache). The answer only changes when apt's lists do: remember it against their mtimes.
  const memo = join(harnessCacheDir(opts.cacheDir), 'conform', `kernel-${spec}.json`);
  const stamp = await aptStateStamp();
  if (stamp) {
    const prev = await readMemo<{ stamp: string; release: string }>(memo);
    if (prev?.stamp === stamp && typeof prev.release === 'string') {
      const k = await resolveKernel(spec, { cacheDir: opts.cacheDir, log: say, offline: true }).catch(() => undefined);
      if (k?.release === prev.release) return k;
    }
  }
  const k = await resolveKernel(spec, { cacheDir: opts.cacheDir, log: say });
  if (stamp) {
    await mkdir(dirname(memo), { recursive: true });
    await writeFile(memo, JSON.stringify({ stamp, release: k.release }) + '\n');
  }
  return k;
}

/** apt's package lists and binary cache modification times: they change with every apt-get update. */
async function aptStateStamp(): Promise<string | undefined> {
  const parts: string[] = [];
  for (const f of ['/var/lib/apt/lists', '/var/cache/apt/pkgcache.bin']) {
    try {
      parts.push(String((await stat(f)).mtimeMs));
    } catch {
      return undefined;
    }
  }
  return parts.join(':');
}

function describe(k: KernelInfo): string {
  if (k.package) return `Debian ${k.package.name} ${k.package.version} (${k.release})`;
  return `${k.vmlinuz} (${k.release})`;
}

/** The guest's probe list: wanted function, rich line, conservative fallback. */
function toGuestProbes(set: ProbeSet): GuestProbe[] {
  return set.probes.map((p) => ({ symbol: p.function, line: p.line, fallback: p.fallback && p.fallback !== p.line ? p.fallback : undefined }));
}

function groupsOf(set: ProbeSet): string[] {
  const g = new Set<string>([set.group]);
  for (const p of set.probes) g.add(p.group);
  return [...g];
}

/** The probe map the generator emitted for exactly these probes (H4's format), if it has one. */
async function probeMapOf(set: ProbeSet): Promise<ProbeMap | undefined> {
  const pm = set.probeMap as unknown;
  if (!pm || Array.isArray(pm)) return undefined;
  const { parseProbeMap, builtinProbeMaps } = await import('../trace/index.ts');
  return parseProbeMap(pm, `probe map generated for ${set.kernel.release}`, await builtinProbeMaps());
}

async function bareInitrd(workload: string, work: string, cacheDir?: string): Promise<string> {
  const out = join(work, 'bare.cpio');
  await buildInitramfs({ workload, probes: [], groups: [], scenarios: [], bare: true, output: out, cacheDir });
  return out;
}

/** Guest phase durations from the console markers' host arrival times. */
function phaseTimings(boot: BootResult, t: ConformReport['timings']): void {
  const m = boot.marks;
  if (m.INIT_START !== undefined) t.bootToInit = m.INIT_START;
  if (m.INIT_START !== undefined && m.STAGE_probes !== undefined) t.guestProbes = m.STAGE_probes - m.INIT_START;
  if (m.INIT_START !== undefined && m.STAGE_modules !== undefined) t.guestModules = m.STAGE_modules - m.INIT_START;
  if (m.STAGE_registered !== undefined && m.STAGE_probes !== undefined) t.guestEnable = m.STAGE_probes - m.STAGE_registered;
  if (m.STAGE_probes !== undefined && m.STAGE_workload !== undefined) t.scenarios = m.STAGE_workload - m.STAGE_probes;
  if (m.STAGE_workload !== undefined) t.capture = boot.durationMs - m.STAGE_workload;
  t.qemu = boot.durationMs;
  if (boot.cpuMs !== undefined) t.qemuCpu = boot.cpuMs;
}

/** Plain-object form of the report (for --format json and report.json). */
export function reportToJson(r: ConformReport): unknown {
  return { ...r, timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v ?? 0)])) };
}

export { SCENARIOS };
export type { RunProblem, ScenarioVerdict };
