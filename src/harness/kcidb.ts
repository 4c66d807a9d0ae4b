/**
 * A conform run as KCIDB objects: the kernel is the checkout and its build; the boot is
 * `peerprop.boot`; each scenario is `peerprop.<scenario>` with its two halves below it
 * (`.contract`, `.mechanism`). A run that did not complete never yields PASS: what it prevented
 * is ERROR (the check could not finish) or MISS (the environment was missing: QEMU, tracefs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../core/errors.ts';
import type { KcidbCheckoutIn, KcidbStatus, KcidbTestIn } from '../report/kcidb.ts';
import type { ConformReport, ScenarioVerdict } from './conform.ts';
import type { RunProblem } from './verdict.ts';

/** The architecture every conform guest runs (qemu-system-x86_64). */
const ARCH = 'x86_64';

function problemStatus(problems: readonly RunProblem[]): KcidbStatus {
  if (problems.length === 0) return 'PASS';
  if (problems.some((p) => p.exitCode === ExitCode.EnvMissing)) return 'MISS';
  if (problems.some((p) => p.exitCode === ExitCode.Findings)) return 'FAIL';
  return 'ERROR';
}

function statusOf(s: 'pass' | 'fail' | 'error' | 'skip', envMissing: boolean): KcidbStatus {
  switch (s) {
    case 'pass':
      return 'PASS';
    case 'fail':
      return 'FAIL';
    case 'skip':
      return 'SKIP';
    default:
      return envMissing ? 'MISS' : 'ERROR';
  }
}

/**
 * Quotes the trace lines a diagnostic points at (`capture.txt:123`) from the kept capture, so that
 * the excerpt shows the evidence itself. Without a kept capture the references stay as they are.
 */
function traceQuoter(r: ConformReport): (lines: readonly string[]) => string[] {
  let capture: string[] | null | undefined;
  const load = (): string[] | null => {
    if (capture !== undefined) return capture;
    try {
      capture = r.kept ? readFileSync(join(r.kept, 'capture.txt'), 'utf8').split('\n') : null;
    } catch {
      capture = null;
    }
    return capture;
  };
  return (lines) => {
    const out: string[] = [];
    for (const l of lines) {
      out.push(l);
      for (const m of l.matchAll(/(\S*capture\.txt):(\d+)/g)) {
        const text = load()?.[Number(m[2]) - 1];
        if (text !== undefined) out.push(`    capture.txt:${m[2]}| ${text}`);
      }
    }
    return out;
  };
}

function scenarioTests(v: ScenarioVerdict, envMissing: boolean, quote: (l: readonly string[]) => string[], common: Partial<KcidbTestIn>): KcidbTestIn[] {
  const contractLog = v.contract.checks.map((c) => `${c.ok ? 'ok' : 'FAIL'}: ${c.what}: expected ${c.expected}, observed ${c.observed}${c.precondition ? ' [precondition]' : ''}`);
  contractLog.push(...v.errors.map((e) => `workload error: ${e}`), ...v.notes.map((n) => `workload note: ${n}`));
  const mechLog = quote(v.mechanism.diagnostics);
  const tests: KcidbTestIn[] = [
    {
      ...common,
      path: [v.name],
      status: statusOf(v.status, envMissing),
      comment: v.reason ? `${v.description}: ${v.reason}` : v.description,
      // What went wrong only: the halves below carry every check and piece of evidence.
      log: [...(v.reason ? [v.reason] : []), ...contractLog.filter((l) => !l.startsWith('ok')), ...quote(v.mechanism.diagnostics.filter((l) => !/^mechanism( seen|:)/.test(l)))],
      misc: { contract: v.contract.status, mechanism: v.mechanism.status, events: v.mechanism.events },
    },
  ];
  // A scenario the run never reached has no halves to report.
  if (v.status !== 'error' || v.contract.checks.length > 0) {
    tests.push(
      { ...common, path: [v.name, 'contract'], status: statusOf(v.contract.status, envMissing), comment: v.contract.reason ?? 'what a user sees', log: contractLog },
      {
        ...common,
        path: [v.name, 'mechanism'],
        status: v.mechanism.status === 'skip' ? 'SKIP' : statusOf(v.mechanism.status, envMissing),
        comment: v.mechanism.reason ?? 'the trace replayed through the model',
        log: mechLog,
        misc: { events: v.mechanism.events, by_kind: v.mechanism.byKind },
      },
    );
  }
  return tests;
}

/** The checkout (the kernel as obtained), its build and the run's tests. */
export function conformToKcidb(r: ConformReport): KcidbCheckoutIn {
  const envMissing = r.problems.some((p) => p.exitCode === ExitCode.EnvMissing);
  const quote = traceQuoter(r);
  const environment = {
    comment: `QEMU ${r.accel.accel.toUpperCase()}, ${r.kernel.cpus} vCPU, ${ARCH}, kernel ${r.kernel.release}`,
    misc: { kernel_release: r.kernel.release, arch: ARCH, accel: r.accel.accel, accel_reason: r.accel.reason, cpus: r.kernel.cpus },
  };
  const common: Partial<KcidbTestIn> = { environment, ...(r.startedAt ? { startTime: r.startedAt } : {}) };
  const tests: KcidbTestIn[] = [
    {
      ...common,
      path: ['boot'],
      status: problemStatus(r.problems),
      comment: r.problems.length ? `run problem: ${r.problems[0]!.message}` : `booted, probes registered, workload run; ${r.trace.replay}`,
      durationS: (r.timings.total ?? 0) / 1000,
      log: [
        ...r.problems.map((p) => `run problem (${p.kind}): ${p.message}`),
        `probes: ${r.probes.registered} registered, ${r.probes.refused.length} refused, ${r.probes.skipped.length} skipped`,
        `trace: ${r.trace.lines} lines, ${r.trace.events} events`,
        ...(r.problems.length ? r.console.lastLines.map((l) => `console| ${l}`) : []),
      ],
      misc: { era: r.era, ...(r.stage ? { stage: r.stage } : {}), exit_code: r.exitCode },
    },
    ...r.scenarios.flatMap((v) => scenarioTests(v, envMissing, quote, common)),
  ];
  return {
    key: `kernel\0${r.kernel.spec}\0${r.kernel.release}\0${r.kernel.description}`,
    comment: r.kernel.description,
    valid: true,
    ...(r.startedAt ? { startTime: r.startedAt } : {}),
    misc: { kernel_spec: r.kernel.spec, kernel_release: r.kernel.release, kernel_version: r.kernel.version.join('.') },
    builds: [
      {
        key: r.kernel.release,
        comment: `${r.kernel.description}: era ${r.era}${r.stage ? ` ${r.stage}` : ''} (${r.eraFrom.join('; ') || 'from the kernel'})`,
        architecture: ARCH,
        // A kernel image was there to boot: the build exists; how it behaved is the tests' business.
        status: 'PASS',
        misc: { era: r.era, ...(r.stage ? { stage: r.stage } : {}), era_from: r.eraFrom },
        tests,
      },
    ],
  };
}
