/**
 * `review --format html`: the patch with its findings inline at their patch lines, the damage the
 * reader found and what it did, and what each changed function does with the genid, before and
 * after, in a reviewer's words.
 */
import type { ReviewReport } from '../../review/types.ts';
import type { FunctionFacts } from '../../csrc/fact-types.ts';
import { esc, htmlPage } from './page.ts';
import { patchView } from './patch-view.ts';

export function reviewHtml(r: ReviewReport, patchText: string | undefined, generator: string): string {
  const errors = r.findings.filter((f) => f.level === 'error').length;
  return htmlPage(
    { title: `review of ${r.patch}`, verdict: errors ? 'FINDINGS' : 'CLEAN', tone: errors ? 'bad' : 'ok', exitCode: r.exitCode, subtitle: r.files.map((f) => `${f.path}${f.era ? `: era ${f.era.pre.era} → ${f.era.post.era}` : ''}`).join(' · '), generator },
    reviewBody(r, patchText),
  );
}

/** The review's sections without the page around them; `prefix` keeps ids apart when several bodies share a page. */
export function reviewBody(r: ReviewReport, patchText: string | undefined, prefix = ''): string {
  const errors = r.findings.filter((f) => f.level === 'error').length;
  const warnings = r.findings.filter((f) => f.level === 'warning').length;
  const out: string[] = [];
  out.push(`<section id="${prefix}summary"><dl class="kv">`);
  out.push(`<dt>patch</dt><dd>${esc(r.patch)} (${esc(r.form)}${r.commits.length ? `, ${r.commits.length} commit(s)` : ''})</dd>`);
  for (const c of r.commits) out.push(`<dt>commit</dt><dd>${esc(c.subject)}${c.author ? ` — ${esc(c.author)}` : ''}</dd>`);
  out.push(`<dt>applied</dt><dd>${r.mode === 'hunks' ? 'not applied: facts from the hunks alone (partial review)' : `in memory to ${esc(r.target ?? '')}${r.written ? ' (written)' : ''}`}</dd>`);
  out.push(`<dt>findings</dt><dd id="${prefix}finding-counts">${errors} error(s), ${warnings} warning(s), ${r.findings.length - errors - warnings} info</dd>`);
  if (r.partial && r.missing.length) out.push(`<dt>not established</dt><dd>${r.missing.map(esc).join('<br>')}</dd>`);
  out.push('</dl></section>');

  out.push('<h2>Findings</h2>');
  if (!r.findings.length) out.push('<p>None.</p>');
  else {
    out.push('<table class="findings"><tr><th>level</th><th>where</th><th>finding</th><th>rule</th></tr>');
    r.findings.forEach((f, i) => {
      const at = f.patch ? `<a href="#${prefix}patch-L${f.patch.line}">${esc(f.patch.file)}:${f.patch.line}</a>` : '';
      out.push(`<tr id="${prefix}finding-${i}"><td class="sev-${f.level}">${f.level}</td><td class="mono">${esc(f.file)}:${f.line}${at ? `<br>${at}` : ''}</td><td>${esc(f.message)}${f.function ? ` <small>(${esc(f.function)})</small>` : ''}</td><td><code>${esc(f.ruleId)}</code></td></tr>`);
    });
    out.push('</table>');
  }

  if (r.statements.length) {
    out.push('<h2>What changes in the genid protocol</h2><ul>');
    for (const s of r.statements) out.push(`<li>${s.function ? `<code>${esc(s.function)}()</code>: ` : ''}${esc(s.text)} <small>(${esc(s.file)}:${s.line}${s.patchLine ? `, patch line ${s.patchLine}` : ''})</small></li>`);
    out.push('</ul>');
  }

  if (r.functions.length) {
    out.push('<h2>Changed functions</h2><table><tr><th>function</th><th>change</th><th>reads / stamps / compares / bumps (before → after)</th></tr>');
    for (const f of r.functions) out.push(`<tr><td><code>${esc(f.name)}()</code></td><td>${f.status}${f.incomplete ? ` <small>(${esc(f.incomplete)})</small>` : ''}</td><td>${esc(factLine(f.pre))} → ${esc(factLine(f.post))}</td></tr>`);
    out.push('</table>');
  }

  out.push('<h2>The patch, with findings at their lines</h2>');
  if (patchText === undefined) out.push('<p class="sub">The patch text is not available (read from standard input).</p>');
  else {
    const notes = r.findings.filter((f) => f.patch).map((f, i) => ({ line: f.patch!.line, level: f.level, text: `${f.message} [${f.ruleId}]`, id: `${prefix}patch-finding-${i}` }));
    out.push(patchView(patchText, notes, { id: `${prefix}patch` }));
  }
  return out.join('\n');
}

function factLine(f: FunctionFacts | undefined): string {
  if (!f) return '—';
  return `${f.reads.length}/${f.stamps.length}/${f.comparisons.length}/${f.bumps.length}`;
}
