/**
 * The verdict of one boot: run-level problems (crash, timeout, no tracefs, refused probe,
 * workload not run, empty trace) and, per scenario, the contract and mechanism halves combined.
 * A failed run never yields ok: each scenario it prevented is an error, and the exit code says why.
 */
import { ExitCode } from '../core/errors.ts';
import type { Era, Stage } from '../model/types.ts';
import type { BootResult } from './qemu.ts';
import { traceEventCount, type ConsoleAnalysis, type GuestCapture } from './capture.ts';
import type { MechanismOutcome, MechanismReport } from './mechanism.ts';
import type { ScenarioRecord, WorkloadRecords } from './observations.ts';
import { scenarioByName, type ContractCheck } from './scenarios.ts';

export interface RunProblem {
  kind: 'timeout' | 'panic' | 'oops' | 'no-tracefs' | 'tun' | 'probe-refused' | 'no-init' | 'no-workload' | 'workload-incomplete' | 'empty-trace' | 'no-capture' | 'qemu';
  message: string;
  exitCode: ExitCode;
}

export interface ScenarioVerdict {
  name: string;
  description: string;
  status: 'pass' | 'fail' | 'error' | 'skip';
  reason?: string;
  contract: { status: 'pass' | 'fail' | 'error' | 'skip'; checks: ContractCheck[]; reason?: string };
  mechanism: MechanismOutcome;
  notes: string[];
  errors: string[];
}

const EXIT_PRIORITY: ExitCode[] = [ExitCode.EnvMissing, ExitCode.BadInput, ExitCode.Findings];

export function runProblems(boot: BootResult, c: GuestCapture, cons: ConsoleAnalysis, w: WorkloadRecords, timeoutMs: number): RunProblem[] {
  const p: RunProblem[] = [];
  const tail = cons.lastLines.length ? ` — console: ${cons.lastLines.slice(-4).join(' | ')}` : '';
  if (cons.panic) p.push({ kind: 'panic', message: `${cons.panic}${tail}`, exitCode: ExitCode.Findings });
  if (cons.oops.length) p.push({ kind: 'oops', message: `${cons.oops[0]}${cons.oops.length > 1 ? ` (+${cons.oops.length - 1} more)` : ''}`, exitCode: ExitCode.Findings });
  if (boot.timedOut) p.push({ kind: 'timeout', message: `no poweroff within ${timeoutMs / 1000} s${tail}`, exitCode: ExitCode.Findings });
  if (!boot.timedOut && !cons.panic && boot.exitCode !== 0 && !cons.initStarted) {
    const err = boot.stderr.split('\n').find((l) => l.trim()) ?? `exit ${boot.exitCode}`;
    p.push({ kind: 'qemu', message: `QEMU failed: ${err}`, exitCode: ExitCode.EnvMissing });
  }
  if (!cons.initStarted && !cons.panic && !boot.timedOut && boot.exitCode === 0) p.push({ kind: 'no-init', message: `the guest never reached /init${tail}`, exitCode: ExitCode.Findings });
  if (c.noTracefs) p.push({ kind: 'no-tracefs', message: 'the kernel has no tracefs with kprobe_events (CONFIG_KPROBE_EVENTS / CONFIG_TRACING missing)', exitCode: ExitCode.EnvMissing });
  if (c.tunFailure) p.push({ kind: 'tun', message: `tun.ko did not load: ${c.tunFailure}`, exitCode: ExitCode.EnvMissing });
  for (const f of c.probesFailed) {
    // A fallback that was accepted after the rich line was refused is not a failure.
    const rescued = c.probesOk.some((ok) => eventOf(ok) === eventOf(f.line));
    if (!rescued) p.push({ kind: 'probe-refused', message: `the kernel refused: ${f.line}${f.errors.length ? ` (${f.errors.join(' ')})` : ''}`, exitCode: ExitCode.BadInput });
  }
  // After a crash, a timeout or a QEMU failure, what is missing downstream says nothing more.
  if (p.some((x) => x.kind === 'panic' || x.kind === 'timeout' || x.kind === 'qemu')) return dedupe(p);
  if (cons.initStarted && !c.noTracefs && !w.started) p.push({ kind: 'no-workload', message: `the workload never started${tail}`, exitCode: ExitCode.Findings });
  else if (w.started && !w.ended) p.push({ kind: 'workload-incomplete', message: `the workload did not finish${tail}`, exitCode: ExitCode.Findings });
  if (cons.initStarted && !c.noTracefs && !boot.timedOut) {
    if (!c.trace) p.push({ kind: 'no-capture', message: `no trace on the capture port${c.damaged.length ? ` (${c.damaged.join('; ')})` : ''}`, exitCode: ExitCode.Findings });
    else if (traceEventCount(c) === 0) p.push({ kind: 'empty-trace', message: 'the trace is empty: no probe fired and no STEP marker was written', exitCode: ExitCode.Findings });
  }
  return dedupe(p);
}

function dedupe(p: RunProblem[]): RunProblem[] {
  const seen = new Set<string>();
  return p.filter((x) => {
    const key = x.kind + x.message;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function eventOf(line: string): string {
  return /^[a-z0-9]+:(?:[^/\s]+\/)?(\S+)/i.exec(line)?.[1] ?? line;
}

export function judge(
  name: string,
  era: Era,
  w: WorkloadRecords,
  mech: MechanismReport | undefined,
  problems: RunProblem[],
  stage?: Stage,
  code: { redirectsInPeer?: boolean } = {},
): ScenarioVerdict {
  const spec = scenarioByName(name)!;
  const rec: ScenarioRecord | undefined = w.scenarios.get(name);
  const fatal = problems.find((p) => p.kind !== 'probe-refused' && p.kind !== 'oops');
  const notes = rec?.notes ?? [];
  const errors = rec?.errors ?? [];
  const mechanism: MechanismOutcome = mech?.perScenario.get(name) ?? { status: 'fail', reason: 'no trace', diagnostics: [], events: 0, byKind: {} };
  const notModelled = spec.learnsRedirect && era === 'pmtu-redirect' && code.redirectsInPeer === false;
  if (!spec.eras.includes(era) || notModelled) {
    const reason = notModelled
      ? "not judged: this kernel's code learns PMTU in the inetpeer but has no check_peer_redir, not even inlined (a commit inside the 2.6.39 merge window); its redirects take the route cache's old path, which no era's contract describes"
      : `not part of the ${era} era's contract`;
    // Nothing of a scenario that is not judged is evidence: its slice's replay diagnostics (which
    // may read like divergences) would sit under a SKIP and be taken for findings. Its event
    // count stays, so the report still shows that the kernel ran it.
    const unjudged: MechanismOutcome = { status: 'skip', reason, diagnostics: [], events: mechanism.events, byKind: mechanism.byKind };
    return { name, description: spec.description, status: 'skip', reason, contract: { status: 'skip', checks: [], reason }, mechanism: unjudged, notes, errors };
  }
  if (!rec?.begun) {
    const reason = fatal ? `run failed: ${fatal.message}` : 'the workload did not run this scenario';
    return { name, description: spec.description, status: 'error', reason, contract: { status: 'error', checks: [], reason }, mechanism, notes, errors };
  }
  const checks = spec.contract(rec, era, stage);
  let contractStatus: ScenarioVerdict['contract']['status'] = checks.every((c) => c.ok) ? 'pass' : 'fail';
  let contractReason = checks.find((c) => !c.ok)?.what;
  if (errors.length) {
    contractStatus = 'fail';
    contractReason = `workload: ${errors[0]}`;
  }
  if (!rec.ended) {
    contractStatus = 'error';
    contractReason = 'the scenario did not finish';
  }
  const status: ScenarioVerdict['status'] =
    contractStatus === 'error' ? 'error' : contractStatus === 'pass' && mechanism.status !== 'fail' ? 'pass' : 'fail';
  const reason = status === 'pass' ? undefined : contractStatus !== 'pass' ? `contract: ${contractReason}` : `mechanism: ${mechanism.reason}`;
  return { name, description: spec.description, status, reason, contract: { status: contractStatus, checks, reason: contractReason }, mechanism, notes, errors };
}

export function exitCodeOf(problems: RunProblem[], verdicts: ScenarioVerdict[]): ExitCode {
  for (const code of EXIT_PRIORITY) if (problems.some((p) => p.exitCode === code)) return code;
  if (verdicts.some((v) => v.status === 'fail' || v.status === 'error')) return ExitCode.Findings;
  if (verdicts.every((v) => v.status === 'skip')) return ExitCode.BadInput; // nothing was checked
  return ExitCode.Clean;
}
