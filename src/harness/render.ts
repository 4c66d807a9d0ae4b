/**
 * A conform report in each output format: a TestResult tree (KTAP: one subtest per scenario,
 * each with a `contract` and a `mechanism` subtest; JUnit over the same tree), text, JSON.
 */
import type { TestResult, TestStatus } from '../report/results.ts';
import { rollUp } from '../report/results.ts';
import { toKtap } from '../report/ktap.ts';
import { toJunit } from '../report/junit.ts';
import { conformHtml } from '../report/html/conform.ts';
import { packageVersion } from '../core/version.ts';
import { reportToJson, type ConformReport, type ScenarioVerdict, type TimingPhase } from './conform.ts';
import { renderKcidb, toKcidb } from '../report/kcidb.ts';
import { conformToKcidb } from './kcidb.ts';

export type ConformFormat = 'text' | 'json' | 'ktap' | 'junit' | 'html' | 'kcidb';

function contractResult(v: ScenarioVerdict): TestResult {
  const diagnostics = v.contract.checks.map(
    (c) => `${c.ok ? 'ok' : 'FAIL'}: ${c.what}${c.ok ? '' : ` (expected ${c.expected}, observed ${c.observed})`}${c.precondition ? ' [precondition]' : ''}`,
  );
  for (const e of v.errors) diagnostics.push(`workload error: ${e}`);
  for (const n of v.notes) diagnostics.push(`workload note: ${n}`);
  return { name: 'contract', status: v.contract.status, reason: v.contract.status === 'pass' ? undefined : v.contract.reason, diagnostics };
}

function mechanismResult(v: ScenarioVerdict): TestResult {
  return { name: 'mechanism', status: v.mechanism.status, reason: v.mechanism.status === 'pass' ? undefined : v.mechanism.reason, diagnostics: v.mechanism.diagnostics };
}

export function toConformResults(r: ConformReport): TestResult[] {
  const scenarios: TestResult[] = r.scenarios.map((v) => {
    // A scenario that errored before any check, or is not judged at all (skip), has no halves to show.
    const subtests = v.status === 'skip' || (v.status === 'error' && v.contract.checks.length === 0) ? [] : [contractResult(v), mechanismResult(v)];
    const status: TestStatus = v.status === 'error' ? 'error' : v.status === 'skip' ? 'skip' : subtests.length ? rollUp(subtests) : v.status;
    return { name: v.name, status, reason: status === 'pass' ? undefined : v.reason, subtests, diagnostics: [v.description] };
  });
  const problems = r.problems.map((p) => `run problem (${p.kind}): ${p.message}`);
  // A failed run never rolls up to ok, even if no scenario says so.
  const status: TestStatus = r.problems.length > 0 ? 'fail' : rollUp(scenarios);
  return [{ name: `conform ${r.kernel.release}`, status, subtests: scenarios, diagnostics: problems, durationMs: r.timings.total }];
}

const PHASE_LABELS: [TimingPhase, string][] = [
  ['kernel', 'kernel'], ['probes', 'probe generation'], ['initramfs', 'initramfs'], ['accel', 'accel decision'],
  ['bootToInit', 'boot to /init'], ['guestProbes', 'guest probes'], ['scenarios', 'scenarios'], ['capture', 'capture'],
  ['replay', 'replay'], ['total', 'total'], ['qemu', 'QEMU wall'], ['qemuCpu', 'QEMU CPU'],
];

export function timingLine(r: ConformReport): string {
  return PHASE_LABELS.filter(([k]) => r.timings[k] !== undefined)
    .map(([k, label]) => `${label} ${((r.timings[k] ?? 0) / 1000).toFixed(2)} s`)
    .join(', ');
}

function header(r: ConformReport): string[] {
  return [
    `peerprop conform: ${r.kernel.description}, era ${r.era}, ${r.accel.reason}`,
    `probes: ${r.probes.registered} registered (${r.probes.fellBack.length} through their fallback), ${r.probes.refused.length} refused, ${r.probes.skipped.length} skipped (not in kallsyms); inlined, seen via callers: ${r.probes.inlined.map((i) => i.function).join(', ') || 'none'}`,
    `trace: ${r.trace.lines} lines, ${r.trace.events} events; ${r.trace.replay}`,
    `timing: ${timingLine(r)}`,
  ];
}

export function renderText(r: ConformReport): string {
  const out = header(r);
  for (const p of r.problems) out.push(`RUN PROBLEM (${p.kind}): ${p.message}`);
  for (const v of r.scenarios) {
    const tag = v.status === 'pass' ? 'ok  ' : v.status === 'skip' ? 'skip' : v.status === 'error' ? 'ERR ' : 'FAIL';
    const n = v.contract.checks.length;
    const okN = v.contract.checks.filter((c) => c.ok).length;
    out.push(`${tag} ${v.name.padEnd(30)} contract ${okN}/${n}, mechanism ${v.mechanism.status} (${v.mechanism.events} events)${v.reason ? ` — ${v.reason}` : ''}`);
    if (v.status !== 'pass') {
      for (const c of v.contract.checks.filter((c) => !c.ok)) out.push(`       contract: ${c.what}: expected ${c.expected}, observed ${c.observed}`);
      for (const d of v.mechanism.diagnostics.filter((d) => !/^mechanism( seen|:)/.test(d))) out.push(`       ${d}`);
      for (const e of v.errors) out.push(`       workload: ${e}`);
    }
  }
  const count = (s: ScenarioVerdict['status']) => r.scenarios.filter((v) => v.status === s).length;
  out.push(`${r.scenarios.length} scenarios: ${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('skip')} skipped`);
  if (r.problems.length && r.console.lastLines.length) out.push(`last console lines:`, ...r.console.lastLines.map((l) => `  | ${l}`));
  if (r.kept) out.push(`kept: ${r.kept}`);
  return out.join('\n') + '\n';
}

export function renderConform(r: ConformReport, format: ConformFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(reportToJson(r), null, 2) + '\n';
    case 'ktap':
      return toKtap(toConformResults(r), header(r));
    case 'junit':
      return toJunit('peerprop conform', toConformResults(r));
    case 'html':
      return conformHtml(r, timingLine(r), `peerprop ${packageVersion()}`);
    case 'kcidb':
      return renderKcidb(toKcidb([conformToKcidb(r)]));
    default:
      return renderText(r);
  }
}
