/**
 * The scan's output formats over one shared shape (ScanEntry[]): text (one line per tree or
 * revision), JSON, KTAP (one subtest per tree/revision), JUnit and SARIF (located in the
 * tree's files). stdout only ever receives one of these.
 */
import { ExitCode } from '../core/errors.ts';
import { toKtap } from '../report/ktap.ts';
import { toJunit } from '../report/junit.ts';
import { rollUp, type TestResult } from '../report/results.ts';
import { toSarif, type SarifFinding, type SarifRule } from '../report/sarif.ts';
import { packageVersion } from '../core/version.ts';
import { scanHtml } from '../report/html/scan.ts';
import { ROUTE_C, type BisectResult, type ScanEntry, type Verdict } from './types.ts';
import { renderKcidb, toKcidb } from '../report/kcidb.ts';
import { scanToKcidb } from './kcidb.ts';

export { SCAN_FORMATS, type ScanFormat } from './formats.ts';
import type { ScanFormat } from './formats.ts';

const TOOL_VERSION = packageVersion();

/** 0 all checked and passing, 1 any divergence, 2 nothing could be checked. */
export function exitCodeFor(entries: readonly ScanEntry[]): ExitCode {
  if (entries.some((e) => e.verdict.status === 'divergence')) return ExitCode.Findings;
  if (entries.every((e) => e.verdict.status === 'skipped')) return ExitCode.BadInput;
  return ExitCode.Clean;
}

/** The verdict column: 'pass(facts)' marks a pass where no differential check ran. */
export function verdictLabel(v: Verdict): string {
  return v.status === 'pass' && v.checked === 'facts' ? 'pass(facts)' : v.status;
}

function targetLabel(e: ScanEntry): string {
  return e.kind === 'revision' ? (e.short ?? e.target.slice(0, 12)) : e.target;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

export function formatTextLine(e: ScanEntry): string {
  return `${targetLabel(e)}  ${e.verdict.era}  ${verdictLabel(e.verdict)}  ${oneLine(e.verdict.reason)}`;
}

export function toText(entries: readonly ScanEntry[]): string {
  return entries.map((e) => formatTextLine(e) + '\n').join('');
}

function summary(entries: readonly ScanEntry[]) {
  const count = (s: Verdict['status']) => entries.filter((e) => e.verdict.status === s).length;
  return { total: entries.length, pass: count('pass'), divergence: count('divergence'), skipped: count('skipped') };
}

export function toJson(entries: readonly ScanEntry[], extra: Record<string, unknown> = {}): string {
  return (
    JSON.stringify(
      { tool: 'peerprop scan', version: TOOL_VERSION, ...extra, summary: summary(entries), exitCode: exitCodeFor(entries), entries },
      null,
      2,
    ) + '\n'
  );
}

function locationText(v: Verdict): string | undefined {
  return v.location ? `${v.location.file}:${v.location.line}${v.location.column ? `:${v.location.column}` : ''}` : undefined;
}

export function toTestResult(e: ScanEntry): TestResult {
  const v = e.verdict;
  const status = v.status === 'pass' ? 'pass' : v.status === 'divergence' ? 'fail' : 'skip';
  const diagnostics = [
    `era: ${v.era}${v.eraReason ? ` (${oneLine(v.eraReason)})` : ''}`,
    `checked: ${v.checked}`,
    ...(e.subject !== undefined ? [`commit: ${e.target} ${e.subject}`] : []),
    ...(v.status === 'skipped' ? [] : [v.reason]),
    ...(locationText(v) ? [`at ${locationText(v)}`] : []),
    ...(v.details ?? []),
  ];
  return {
    name: targetLabel(e),
    status,
    ...(status !== 'pass' ? { reason: oneLine(v.reason) } : {}),
    diagnostics,
    // A reused verdict cost nothing for this revision.
    ...(v.timings ? { durationMs: e.reusedFrom ? 0 : Object.values(v.timings).reduce((a, b) => a + (b ?? 0), 0) } : {}),
  };
}

export function toKtapReport(entries: readonly ScanEntry[], title = 'peerprop-scan'): string {
  const subtests = entries.map(toTestResult);
  return toKtap([{ name: title, status: rollUp(subtests), subtests }], ['peerprop scan: route/inetpeer genid protocol per tree or revision']);
}

export function toJunitReport(entries: readonly ScanEntry[], title = 'peerprop-scan'): string {
  const subtests = entries.map(toTestResult);
  return toJunit('peerprop scan', [{ name: title, status: rollUp(subtests), subtests }]);
}

export const SCAN_RULES: SarifRule[] = [
  {
    id: 'peerprop/scan/divergence',
    name: 'GenidProtocolDivergence',
    shortDescription: "The tree's route/inetpeer genid code disagrees with the reference model of its era",
    defaultLevel: 'error',
  },
  {
    id: 'peerprop/scan/skipped',
    name: 'ScanSkipped',
    shortDescription: 'The tree could not be checked (route.c missing, unparsable, or an unsupported construct)',
    defaultLevel: 'warning',
  },
  {
    id: 'peerprop/scan/verdict',
    name: 'ScanVerdict',
    shortDescription: 'The era of the tree and what was checked, at the code that decides it',
    defaultLevel: 'note',
  },
];

export function toSarifReport(entries: readonly ScanEntry[]): string {
  const findings: SarifFinding[] = entries.map((e) => {
    const v = e.verdict;
    const ruleId = v.status === 'divergence' ? SCAN_RULES[0]!.id : v.status === 'skipped' ? SCAN_RULES[1]!.id : SCAN_RULES[2]!.id;
    const level = v.status === 'divergence' ? 'error' : v.status === 'skipped' ? 'warning' : 'note';
    return {
      ruleId,
      level,
      message: `${targetLabel(e)}: ${v.era}: ${verdictLabel(v)}: ${oneLine(v.reason)}`,
      uri: v.location?.file ?? ROUTE_C,
      startLine: v.location?.line ?? 1,
      ...(v.location?.column ? { startColumn: v.location.column } : {}),
      properties: {
        target: e.target,
        kind: e.kind,
        era: v.era,
        status: v.status,
        checked: v.checked,
        ...(e.subject !== undefined ? { subject: e.subject } : {}),
        ...(v.details ? { details: v.details } : {}),
      },
    };
  });
  return JSON.stringify(toSarif(TOOL_VERSION, SCAN_RULES, findings), null, 2) + '\n';
}

export function renderEntries(entries: readonly ScanEntry[], format: ScanFormat, extra: Record<string, unknown> = {}): string {
  switch (format) {
    case 'text':
      return toText(entries);
    case 'json':
      return toJson(entries, extra);
    case 'ktap':
      return toKtapReport(entries);
    case 'junit':
      return toJunitReport(entries);
    case 'sarif':
      return toSarifReport(entries);
    case 'html':
      return scanHtml(entries, exitCodeFor(entries), `peerprop ${TOOL_VERSION}`);
    case 'kcidb':
      return renderKcidb(toKcidb(scanToKcidb(entries, typeof extra.repository === 'string' ? extra.repository : undefined)));
  }
}

/** Bisect exit code: the first differing revision's status (0 pass, 1 divergence, 2 skipped); 2 when nothing was found. */
export function bisectExitCode(r: BisectResult): ExitCode {
  if (!r.first) return ExitCode.BadInput;
  return exitCodeFor([r.first]);
}

export function renderBisect(r: BisectResult, format: ScanFormat): string {
  const goodEntry = r.evaluated.find((e) => e.target === r.good);
  const entries = [goodEntry, r.first].filter((e): e is ScanEntry => e !== undefined);
  if (format === 'json') {
    return (
      JSON.stringify(
        {
          tool: 'peerprop scan',
          version: TOOL_VERSION,
          mode: 'bisect',
          good: r.good,
          bad: r.bad,
          candidates: r.candidates,
          first: r.first ?? null,
          note: r.note ?? null,
          exitCode: bisectExitCode(r),
          evaluated: r.evaluated,
        },
        null,
        2,
      ) + '\n'
    );
  }
  if (format !== 'text') return renderEntries(entries, format);
  const lines = [`bisect ${r.good.slice(0, 12)}..${r.bad.slice(0, 12)}: ${r.candidates} first-parent revisions, ${new Set(r.evaluated.map((e) => e.target)).size} evaluated`];
  if (goodEntry) lines.push(`good   ${formatTextLine(goodEntry)}`);
  if (r.first) {
    lines.push(`first  ${formatTextLine(r.first)}`);
    lines.push(`${r.first.target} is the first revision whose verdict differs: ${r.first.subject ?? ''}`);
  } else {
    lines.push(`no differing revision: ${r.note ?? 'nothing to bisect'}`);
  }
  return lines.join('\n') + '\n';
}
