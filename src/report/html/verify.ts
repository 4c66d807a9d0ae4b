/**
 * `verify --format html`: each strategy's result, and the shortest counterexample as a step table
 * (operations, the step that diverged, model state against the C's) beside the C lines it ran,
 * with the patch line each C line came from shown in the patch itself.
 */
import type { VerifyReport } from '../../verify/index.ts';
import type { Divergence } from '../../verify/explain.ts';
import type { Operation } from '../../model/types.ts';
import { esc, htmlPage } from './page.ts';
import { patchView } from './patch-view.ts';

/** How verify words an operation and a state (its text report's words, passed in). */
export interface VerifyWords {
  op(op: Operation): string;
  state(o: Divergence['expectedState']): string;
}

export function verifyHtml(r: VerifyReport, patchText: string | undefined, exitCode: number, generator: string, words: VerifyWords): string {
  return htmlPage(
    { title: `verify of ${r.patch ?? r.file}`, verdict: r.ok ? 'PASS' : 'DIVERGENT', tone: r.ok ? 'ok' : 'bad', exitCode, subtitle: `era ${r.era}: ${r.eraReason}`, generator },
    verifyBody(r, patchText, words),
  );
}

/** The verify sections without the page around them; `prefix` keeps ids apart when several bodies share a page. */
export function verifyBody(r: VerifyReport, patchText: string | undefined, words: VerifyWords, prefix = ''): string {
  const formatOp = (op: Operation) => words.op(op);
  const renderState = (o: Divergence['expectedState']) => words.state(o);
  const out: string[] = [];
  out.push(`<section id="${prefix}summary"><dl class="kv">`);
  out.push(`<dt>checked</dt><dd>${esc(r.file)}${r.patch ? ` (${r.origin === 'tree' ? 'post-image of' : 'hunks of'} ${esc(r.patch)})` : ''}</dd>`);
  out.push(`<dt>era</dt><dd>${esc(r.era)}${r.stage ? ` (stage ${esc(r.stage)})` : ''} — ${esc(r.eraReason)}</dd>`);
  out.push(`<dt>functions</dt><dd>${r.functions.map((f) => `<code>${esc(f.name)}()</code> line ${f.line}`).join(', ')}</dd>`);
  out.push(`<dt>seed</dt><dd>${r.seed} (runs ${r.runs}, depth ${r.depth})</dd>`);
  out.push('</dl></section>');
  out.push('<h2>Strategies</h2><table class="strategies"><tr><th>strategy</th><th>result</th><th>checked</th><th>time</th><th>scope</th></tr>');
  for (const s of r.strategies) {
    out.push(`<tr class="${s.ok ? '' : 'failed'}" data-strategy="${esc(s.strategy)}"><td>${esc(s.strategy)}</td><td>${s.ok ? 'ok' : `FAIL${s.counterexampleLength !== undefined ? ` (${s.counterexampleLength} operations)` : ''}`}</td><td class="num">${s.checked}</td><td class="num">${(s.ms / 1000).toFixed(2)} s</td><td>${esc(s.scope)}</td></tr>`);
  }
  out.push('</table>');
  if (r.excludedOperations.length) out.push(`<p class="sub">Not checked: ${r.excludedOperations.map((x) => `${esc(x.op)} (${esc(x.reason)})`).join('; ')}</p>`);
  if (r.notEvaluated.length) out.push(`<details><summary>${r.notEvaluated.length} statement(s) no operation reached (not evaluated)</summary><ul>${r.notEvaluated.map((n) => `<li class="mono">${esc(`${n.file}:${n.line ?? '?'}:${n.column ?? '?'}: ${n.message}`)}</li>`).join('')}</ul></details>`);

  const d = r.divergence;
  if (d) {
    out.push(`<h2>Shortest counterexample (${esc(d.strategy)}, ${d.length} operations, genid from 0x${(d.initialGenid >>> 0).toString(16)})</h2>`);
    out.push(`<div class="divergence" id="${prefix}counterexample">`);
    out.push('<div style="display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px">');
    out.push('<div><h3>Steps</h3><table class="steps"><tr><th>#</th><th>operation</th></tr>');
    if (d.concurrent) {
      const c = d.concurrent;
      c.setup.forEach((op, i) => out.push(`<tr><td class="num">${i + 1}</td><td class="mono">${esc(formatOp(op))}</td></tr>`));
      out.push(`<tr class="failed"><td>‖</td><td class="mono">CPU0 ${esc(c.cpus[0].map(formatOp).join('; '))}<br>CPU1 ${esc(c.cpus[1].map(formatOp).join('; '))}</td></tr>`);
      out.push('</table><h3>Schedule</h3><table><tr><th>CPU</th><th>shared-memory access</th></tr>');
      for (const s of c.schedule) out.push(`<tr><td class="num">${s.cpu}</td><td class="mono">${esc(s.what)}</td></tr>`);
    } else {
      d.ops.forEach((op, i) => out.push(`<tr class="${i === d.step ? 'failed' : ''}" data-step="${i + 1}"><td class="num">${i + 1}</td><td class="mono">${esc(formatOp(op))}${i === d.step ? ' ← diverges here' : ''}</td></tr>`));
    }
    out.push('</table></div>');
    out.push('<div><h3>C lines it ran</h3>');
    if (d.cLine) {
      const l = d.cLine;
      out.push(`<p class="mono">${esc(`${l.file}:${l.line}:${l.column}`)} in <code>${esc(l.function)}()</code> (${esc(l.role)})${l.patchLine !== undefined ? ` — <a href="#${prefix}patch-L${l.patchLine}">patch line ${l.patchLine}</a>${l.added ? ', added by the patch' : ''}` : ''}</p>`);
      out.push(`<pre>${esc(l.text)}</pre>`);
    }
    if (d.executed?.length) out.push(`<pre class="executed">${d.executed.map(esc).join('\n')}</pre>`);
    out.push('</div></div>');
    out.push('<table><tr><th>field</th><th>model</th><th>C</th></tr>');
    for (const f of d.diffs) out.push(`<tr class="failed"><td><code>${esc(f.field)}</code></td><td>${esc(String(f.expected))}</td><td>${esc(String(f.actual))}</td></tr>`);
    out.push(`<tr><td>model state</td><td colspan="2" class="mono">${esc(renderState(d.expectedState))}</td></tr>`);
    out.push(`<tr><td>C state</td><td colspan="2" class="mono">${esc(renderState(d.actualState))}</td></tr>`);
    out.push('</table>');
    for (const v of d.violates ?? []) out.push(`<p>Breaks the model's invariant <code>${esc(v.invariant)}</code>: ${esc(v.description)} (${esc(v.message)})</p>`);
    out.push('</div>');
  }
  if (patchText !== undefined) {
    out.push('<h2>The patch</h2>');
    const notes = d?.cLine?.patchLine !== undefined ? [{ line: d.cLine.patchLine, level: 'error' as const, text: `the counterexample's ${d.field} is decided here (${d.cLine.role})` }] : [];
    out.push(patchView(patchText, notes, { id: `${prefix}patch` }));
  }
  return out.join('\n');
}
