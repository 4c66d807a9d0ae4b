/**
 * Replay reports as text (divergences with history, then coverage), JSON, KTAP (one subtest per
 * trace, one per invariant family inside, `not ok` with the divergences as diagnostics), JUnit (a
 * suite per trace, a case per invariant). The formats that draw the trace (HTML, Perfetto) are
 * pictures.ts's: they need the timelines, and their writers are not loaded by a text replay.
 */
import { stageText } from '../core/eras.ts';
import { toJunit } from '../report/junit.ts';
import { toKtap } from '../report/ktap.ts';
import type { TestResult } from '../report/results.ts';
import { formatReadStats, type TraceReadStats } from '../trace/index.ts';
import { describeEvent } from './coverage.ts';
import { describeWhere } from '../trace/callctx.ts';
import type { Coverage, ReplayReport } from './types.ts';

export { REPLAY_FORMATS, PICTURE_FORMATS, type ReplayFormat } from './formats.ts';
import type { ReplayFormat } from './formats.ts';

type Report = ReplayReport & { read?: TraceReadStats | unknown };

export function formatReports(reports: readonly Report[], format: ReplayFormat): string {
  switch (format) {
    case 'html':
    case 'perfetto':
      throw new Error(`the ${format} format needs the timelines of the replay (replayFilesWithTimelines, formatPictures)`);
    case 'json':
      return JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n';
    case 'ktap':
      return toKtap(reports.map(toTestResult), ['peerprop replay']);
    case 'junit':
      return toJunit('peerprop replay', reports.map(toTestResult));
    default:
      return reports.map(toText).join('\n');
  }
}

const VERDICT_TEXT = { conformant: 'CONFORMANT', divergent: 'DIVERGENT', 'nothing-to-check': 'NOTHING TO CHECK' } as const;

/** `[cpu 1 pid 412] ` before an event, when the trace says where it ran ('' otherwise). */
function whereTag(e: { cpu?: number; pid?: number; irq?: number }): string {
  const w = describeWhere(e);
  return w ? `[${w}] ` : '';
}

export function toText(r: Report): string {
  const out: string[] = [];
  out.push(`${r.file}: ${VERDICT_TEXT[r.verdict]} under era ${r.era}${stageText(r.stage)} (${r.eraReason})`);
  if (r.divergenceCount > 0) {
    out.push(`  ${r.divergenceCount} divergence(s)${r.divergences.length < r.divergenceCount ? `, first ${r.divergences.length} shown` : ''}:`);
    r.divergences.forEach((d, i) => {
      out.push(`  [${i + 1}] ${d.file}:${d.line}: ${d.invariant}: ${d.message}`);
      out.push(`      expected: ${d.expected}`);
      out.push(`      observed: ${d.observed}`);
      out.push(`      event:    ${whereTag(d.event)}${describeEvent(d.event)}`);
      if (d.history.length) {
        out.push(d.rt ? `      history of route ${d.rt}:` : '      previous events showing the genid:');
        for (const h of d.history) out.push(`        ${h.file === d.file ? `line ${h.line}` : `${h.file}:${h.line}`}  ${whereTag(h)}${h.text}`);
      }
    });
  }
  out.push(...coverageText(r.coverage).map((l) => '  ' + l));
  if (r.read && typeof r.read === 'object' && 'probeMap' in (r.read as object)) {
    out.push('  read:');
    for (const l of formatReadStats(r.read as TraceReadStats)) out.push('    ' + l);
  }
  return out.join('\n') + '\n';
}

export function coverageText(c: Coverage): string[] {
  const out: string[] = [];
  const kinds = Object.entries(c.eventsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  out.push(`coverage: ${c.events} events (${kinds || 'none'})`);
  out.push(
    `  routes ${c.routes}, checks ${c.checks}, binds ${c.binds}, flushes ${c.flushes}, genid bumps ${c.genidBumps}` +
      (c.namespaces ? `, namespaces ${c.namespaces}` : '') +
      (c.gaps ? `, lost-event gaps ${c.gaps} (routes with incomplete history ${c.incompleteRoutes})` : ''),
  );
  const ignored = Object.entries(c.ignored);
  if (ignored.length) out.push(`  not used: ${ignored.map(([k, n]) => `${k}: ${n}`).join('; ')}`);
  out.push('invariants:');
  for (const i of c.invariants) {
    const unchecked = Object.entries(i.unchecked).map(([why, n]) => `${n} unchecked: ${why}`);
    const tag = i.failed ? 'FAIL ' : i.checked ? 'ok   ' : 'none ';
    out.push(`  ${tag} ${i.name}: checked ${i.checked}${i.failed ? `, failed ${i.failed}` : ''}${unchecked.length ? '; ' + unchecked.join('; ') : ''}`);
  }
  if (c.invariants.length === 0) out.push('  (none could be checked)');
  return out;
}

/** One TestResult per trace, one subtest per invariant family. */
export function toTestResult(r: Report): TestResult {
  const subtests: TestResult[] = r.coverage.invariants.map((i) => {
    const divs = r.divergences.filter((d) => d.invariant === i.name);
    const unchecked = Object.entries(i.unchecked).map(([why, n]) => `${n} unchecked: ${why}`);
    if (i.failed > 0) {
      return {
        name: i.name,
        status: 'fail',
        reason: `${i.failed} of ${i.checked} failed`,
        diagnostics: [
          ...divs.flatMap((d) => [
            `${d.file}:${d.line}: ${whereTag(d.event)}${d.message}`,
            `  expected ${d.expected}; observed ${d.observed}`,
            ...d.history.map((h) => `  line ${h.line} ${whereTag(h)}${h.text}`),
          ]),
          ...(divs.length < i.failed ? [`(${i.failed - divs.length} more not shown)`] : []),
        ],
      };
    }
    if (i.checked === 0) return { name: i.name, status: 'skip', reason: unchecked.join('; ') || 'not checked' };
    return { name: i.name, status: 'pass', diagnostics: [`checked ${i.checked}${unchecked.length ? '; ' + unchecked.join('; ') : ''}`] };
  });
  const base = `${r.file} (${r.era})`;
  if (r.verdict === 'nothing-to-check') return { name: base, status: 'error', reason: 'nothing to check: no event the era can check', subtests };
  return { name: base, status: r.verdict === 'divergent' ? 'fail' : 'pass', subtests, diagnostics: [`era ${r.era}${stageText(r.stage)}: ${r.eraReason}`] };
}
