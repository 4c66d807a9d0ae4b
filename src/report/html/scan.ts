/**
 * `scan --format html`: one row per tree or revision with its era, verdict and why, the location
 * that makes the verdict, and (folded) the counterexample or facts behind it; revisions whose
 * verdict was reused name the revision it was computed for.
 */
import type { ScanEntry } from '../../scan/types.ts';
import { esc, htmlPage } from './page.ts';

export function scanHtml(entries: readonly ScanEntry[], exitCode: number, generator: string): string {
  const divergent = entries.filter((e) => e.verdict.status === 'divergence').length;
  return htmlPage(
    {
      title: `scan of ${entries.length} target(s)`,
      verdict: divergent ? 'DIVERGENT' : exitCode === 0 ? 'PASS' : 'NOTHING CHECKED',
      tone: divergent ? 'bad' : exitCode === 0 ? 'ok' : 'none',
      exitCode,
      generator,
    },
    scanBody(entries),
  );
}

/** The scan's table without the page around it; `prefix` keeps ids apart when several bodies share a page. */
export function scanBody(entries: readonly ScanEntry[], prefix = ''): string {
  const count = (s: string) => entries.filter((e) => e.verdict.status === s).length;
  const divergent = count('divergence');
  const out: string[] = [];
  out.push(`<p id="${prefix}scan-summary">${entries.length} target(s): ${count('pass')} pass, ${divergent} divergence, ${count('skipped')} skipped</p>`);
  out.push('<table class="scan"><tr><th>target</th><th>era</th><th>verdict</th><th>why</th></tr>');
  entries.forEach((e, i) => {
    const v = e.verdict;
    const target = e.kind === 'revision' ? `<span class="mono">${esc(e.short ?? e.target.slice(0, 12))}</span> ${esc(e.subject ?? '')}` : `<span class="mono">${esc(e.target)}</span>`;
    const label = v.status === 'pass' && v.checked === 'facts' ? 'pass (facts only)' : v.status;
    const loc = v.location ? `<br><span class="mono">${esc(`${v.location.file}:${v.location.line}`)}</span>` : '';
    const reused = e.reusedFrom ? `<br><small>verdict computed for ${esc(e.reusedFrom.slice(0, 12))} (same content)</small>` : '';
    const details = v.details?.length ? `<details><summary>details</summary><pre>${v.details.map(esc).join('\n')}</pre></details>` : '';
    out.push(`<tr id="${prefix}entry-${i}" class="${v.status === 'divergence' ? 'failed' : ''}" data-status="${esc(v.status)}"><td>${target}</td><td>${esc(v.era)}${v.eraReason ? `<br><small>${esc(v.eraReason)}</small>` : ''}</td><td>${esc(label)}</td><td>${esc(v.reason)}${loc}${reused}${details}</td></tr>`);
  });
  out.push('</table>');
  return out.join('\n');
}
