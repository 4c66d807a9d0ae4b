/**
 * The human summary of a trace read (used by replay's text report).
 */
import type { TraceReadStats } from './types.ts';

/** A short human summary of what was read (for reports and `replay` text output). */
export function formatReadStats(st: TraceReadStats): string[] {
  const out: string[] = [];
  const fmt = st.format + (st.compression ? ` (${st.compression})` : '');
  out.push(`${st.file}: ${fmt}, ${st.lines} lines, ${st.events} events` + (st.kernel ? `, kernel ${st.kernel}` : ''));
  out.push(`probe map: ${st.probeMap.name} (${st.probeMap.chosenBy}: ${st.probeMap.reason})`);
  const kinds = Object.entries(st.eventsByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  if (kinds.length) out.push(`events: ${kinds.join(', ')}`);
  const skipped = Object.entries(st.skipped).filter(([, v]) => v.count > 0)
    .map(([k, v]) => `${k} ${v.count}` + (k === 'malformed' && v.lines.length ? ` (lines ${v.lines.slice(0, 5).join(', ')}${v.count > 5 ? ', ...' : ''})` : ''));
  if (skipped.length) out.push(`skipped lines: ${skipped.join(', ')}`);
  const unknown = Object.entries(st.unknownEvents);
  if (unknown.length) out.push(`unknown probes: ${unknown.slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ')}${unknown.length > 8 ? ', ...' : ''}`);
  const unmatched = Object.entries(st.unmatched);
  if (unmatched.length) out.push(`unmatched: ${unmatched.slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (st.unpairedReturns) out.push(`returns without their entry: ${st.unpairedReturns}`);
  if (st.entryNeverFired?.length) out.push(`return probes whose entry probe never fired: ${st.entryNeverFired.join(', ')}`);
  for (const g of st.gaps.slice(0, 10)) {
    out.push(`gap at ${g.file}:${g.line}: ${g.count ?? 'unknown number of'} events lost` + (g.cpu !== undefined ? ` on CPU ${g.cpu}` : '') + (g.reason ? ` (${g.reason})` : ''));
  }
  if (st.gaps.length > 10) out.push(`... ${st.gaps.length - 10} more gaps`);
  for (const r of st.probesRefused) out.push(`probe refused by the kernel: ${r.name ?? r.definition}` + (r.error ? `: ${r.error}` : ''));
  for (const w of st.warnings) out.push(`warning: ${w}`);
  return out;
}
