/**
 * `conform --format html`: the kernel, era and accelerator, run problems first (a run that did not
 * complete is never a pass), then one section per scenario with the contract lines a user sees
 * (expected against observed) and the mechanism's evidence from the trace, then probes and timings.
 */
import type { ConformReport } from '../../harness/conform.ts';
import { esc, htmlPage } from './page.ts';

export function conformHtml(r: ConformReport, timing: string, generator: string): string {
  const bad = r.problems.length > 0 || r.scenarios.some((v) => v.status === 'fail' || v.status === 'error');
  return htmlPage(
    { title: `conform on ${r.kernel.release}`, verdict: bad ? 'FAILED' : r.exitCode === 0 ? 'CONFORMANT' : 'INCOMPLETE', tone: bad ? 'bad' : r.exitCode === 0 ? 'ok' : 'none', exitCode: r.exitCode, subtitle: r.kernel.description, generator },
    conformBody(r, timing),
  );
}

/** The run's sections without the page around them; `prefix` keeps ids apart when several bodies share a page. */
export function conformBody(r: ConformReport, timing: string, prefix = ''): string {
  const out: string[] = [];
  const count = (s: string) => r.scenarios.filter((v) => v.status === s).length;
  out.push(`<section id="${prefix}summary"><dl class="kv">`);
  out.push(`<dt>kernel</dt><dd>${esc(r.kernel.description)} (${esc(r.kernel.release)})</dd>`);
  out.push(`<dt>era</dt><dd>${esc(r.era)}</dd>`);
  out.push(`<dt>accelerator</dt><dd>${esc(r.accel.reason)}</dd>`);
  out.push(`<dt>scenarios</dt><dd id="${prefix}scenario-counts">${r.scenarios.length}: ${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('skip')} skipped</dd>`);
  out.push(`<dt>trace</dt><dd>${r.trace.lines} lines, ${r.trace.events} events; ${esc(r.trace.replay)}</dd>`);
  out.push(`<dt>timing</dt><dd>${esc(timing)}</dd>`);
  if (r.kept) out.push(`<dt>kept</dt><dd class="mono">${esc(r.kept)}</dd>`);
  out.push('</dl></section>');
  if (r.problems.length) {
    out.push('<h2>Run problems</h2><ul class="problems">');
    for (const p of r.problems) out.push(`<li class="divergence"><b>${esc(p.kind)}</b>: ${esc(p.message)}</li>`);
    out.push('</ul>');
    if (r.console.lastLines.length) out.push(`<h3>Last console lines</h3><pre>${r.console.lastLines.map(esc).join('\n')}</pre>`);
  }
  out.push('<h2>Scenarios</h2>');
  for (const v of r.scenarios) {
    const tone = v.status === 'pass' ? 'pass' : v.status === 'skip' ? 'skip' : 'fail';
    out.push(`<section class="scenario ${tone}" id="${prefix}scenario-${esc(v.name)}" data-status="${v.status}">`);
    out.push(`<h3>${esc(v.name)} — ${v.status.toUpperCase()}</h3><p>${esc(v.description)}${v.reason ? `<br><b>${esc(v.reason)}</b>` : ''}</p>`);
    out.push(`<h4>What a user sees (contract: ${v.contract.status})</h4>`);
    if (v.contract.checks.length) {
      out.push('<table class="contract"><tr><th></th><th>check</th><th>expected</th><th>observed</th></tr>');
      for (const c of v.contract.checks) out.push(`<tr class="${c.ok ? '' : 'failed'}"><td>${c.ok ? 'ok' : 'FAIL'}</td><td>${esc(c.what)}${c.precondition ? ' <small>(precondition)</small>' : ''}</td><td>${esc(c.expected)}</td><td>${esc(c.observed)}</td></tr>`);
      out.push('</table>');
    } else if (v.contract.reason) out.push(`<p>${esc(v.contract.reason)}</p>`);
    out.push(`<h4>What the mechanism did (trace: ${v.mechanism.status}, ${v.mechanism.events} events)</h4>`);
    if (v.mechanism.reason) out.push(`<p>${esc(v.mechanism.reason)}</p>`);
    if (v.mechanism.diagnostics.length) out.push(`<pre>${v.mechanism.diagnostics.map(esc).join('\n')}</pre>`);
    if (v.errors.length || v.notes.length) out.push(`<ul>${v.errors.map((e) => `<li>workload error: ${esc(e)}</li>`).join('')}${v.notes.map((n) => `<li>workload note: ${esc(n)}</li>`).join('')}</ul>`);
    out.push('</section>');
  }
  out.push('<h2>Probes</h2><dl class="kv">');
  out.push(`<dt>registered</dt><dd>${r.probes.registered} (${r.probes.fellBack.length} through their fallback)</dd>`);
  out.push(`<dt>refused</dt><dd>${r.probes.refused.length ? r.probes.refused.map((p) => `<span class="mono">${esc(JSON.stringify(p))}</span>`).join('<br>') : 'none'}</dd>`);
  out.push(`<dt>skipped</dt><dd>${r.probes.skipped.map((s) => `${esc(s.event)} (${esc(s.symbol)})`).join(', ') || 'none'}</dd>`);
  out.push(`<dt>inlined</dt><dd>${r.probes.inlined.map((i) => `${esc(i.function)} via ${esc(i.via.join(', '))}`).join('; ') || 'none'}</dd>`);
  out.push('</dl>');
  return out.join('\n');
}
