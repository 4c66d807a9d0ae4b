/**
 * The replay report as one HTML page: per trace, the verdict, the era and why, what was and was
 * not checked, the timeline, and each divergence with the invariant in words, expected against
 * observed, the route's history with its trace lines, and links to its place in the timeline.
 */
import type { ReplayReport } from '../../replay/types.ts';
import type { Timeline } from '../../replay/timeline.ts';
import { stageText } from '../../core/eras.ts';
import { esc, htmlPage } from './page.ts';
import { LEGEND, timelineSvg } from './timeline-svg.ts';

const VERDICT = { conformant: 'CONFORMANT', divergent: 'DIVERGENT', 'nothing-to-check': 'NOTHING TO CHECK' } as const;

export function replayHtml(reports: readonly ReplayReport[], timelines: readonly Timeline[], exitCode: number, generator: string): string {
  const worst = reports.some((r) => r.verdict === 'divergent') ? 'divergent' : reports.every((r) => r.verdict === 'conformant') && reports.length ? 'conformant' : 'nothing-to-check';
  const title = reports.length === 1 ? `replay of ${reports[0]!.file}` : `replay of ${reports.length} traces`;
  const body = reports.map((r, i) => traceSection(r, timelines[i], `t${i}`)).join('\n');
  return htmlPage(
    {
      title,
      verdict: VERDICT[worst],
      tone: worst === 'conformant' ? 'ok' : worst === 'divergent' ? 'bad' : 'none',
      exitCode,
      subtitle: reports.map((r) => `${r.file}: era ${r.era} (${r.eraReason})`).join(' · '),
      generator,
    },
    body,
  );
}

export function traceSection(r: ReplayReport, tl: Timeline | undefined, fid: string): string {
  const c = r.coverage;
  const out: string[] = [];
  out.push(`<section class="trace" id="${fid}" data-verdict="${r.verdict}">`);
  out.push(`<h2><span class="badge ${r.verdict === 'conformant' ? 'ok' : r.verdict === 'divergent' ? 'bad' : 'none'}">${VERDICT[r.verdict]}</span> ${esc(r.file)}</h2>`);
  out.push('<dl class="kv">');
  out.push(`<dt>era</dt><dd>${esc(r.era)}${esc(stageText(r.stage))} — ${esc(r.eraReason)}</dd>`);
  out.push(`<dt>divergences</dt><dd id="${fid}-divergence-count">${r.divergenceCount}${r.divergences.length < r.divergenceCount ? ` (first ${r.divergences.length} shown)` : ''}</dd>`);
  const kinds = Object.entries(c.eventsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  out.push(`<dt>events</dt><dd id="${fid}-events">${c.events} (${esc(kinds || 'none')})</dd>`);
  out.push(`<dt>routes</dt><dd>${c.routes} lifetimes, ${c.checks} checks, ${c.binds} binds, ${c.flushes} flushes, ${c.genidBumps} genid bumps${c.namespaces ? `, ${c.namespaces} namespaces` : ''}</dd>`);
  if (c.gaps) out.push(`<dt>lost events</dt><dd>${c.gaps} gap(s); ${c.incompleteRoutes} route(s) whose history crosses one were not checked across it</dd>`);
  out.push('</dl>');

  if (tl) out.push(timelineBlock(tl, fid, r));

  if (r.divergences.length) {
    out.push(`<h3>Divergences</h3>`);
    r.divergences.forEach((d, i) => {
      const inv = c.invariants.find((x) => x.name === d.invariant);
      const onTimeline = tl && (tl.lanes.some((l) => l.marks.some((m) => m.divergence === i)) || tl.loose.some((m) => m.divergence === i));
      out.push(`<div class="divergence" id="${fid}-d${i}" data-line="${d.line}" data-invariant="${esc(d.invariant)}">`);
      out.push(`<p><b>${esc(d.file)}:${d.line}</b> — <code>${esc(d.invariant)}</code>${inv ? `: ${esc(inv.description)}` : ''}</p>`);
      out.push(`<p>${esc(d.message)}</p>`);
      out.push('<dl class="kv">');
      out.push(`<dt>expected</dt><dd>${esc(d.expected)}</dd><dt>observed</dt><dd>${esc(d.observed)}</dd>`);
      out.push(`<dt>event</dt><dd class="mono">line ${d.line}${d.event.cpu !== undefined ? ` (CPU ${d.event.cpu}${d.event.pid !== undefined ? `, pid ${d.event.pid}` : ''})` : ''}</dd>`);
      if (d.rt) out.push(`<dt>route</dt><dd class="mono">${esc(d.rt)}</dd>`);
      out.push('</dl>');
      if (onTimeline) out.push(`<p><a href="#${fid}-m${i}" data-goto="${fid}-m${i}" class="to-timeline">show in the timeline</a></p>`);
      if (d.history.length) {
        out.push(`<table class="history"><tr><th>line</th><th>${d.rt ? `history of route ${esc(d.rt)}` : 'previous events showing the genid'}</th></tr>`);
        for (const h of d.history) out.push(`<tr><td class="num">${h.file === d.file ? h.line : esc(`${h.file}:${h.line}`)}</td><td class="mono">${esc(h.text)}</td></tr>`);
        out.push(`<tr class="failed"><td class="num">${d.line}</td><td class="mono">${esc(d.expected ? `→ ${d.observed}` : '')}</td></tr>`);
        out.push('</table>');
      }
      out.push('</div>');
    });
  }

  out.push(`<h3>Coverage: what was and was not checked</h3>`);
  out.push('<table class="coverage"><tr><th>invariant</th><th>checked</th><th>failed</th><th>not checked (why)</th></tr>');
  for (const inv of c.invariants) {
    const un = Object.entries(inv.unchecked).map(([why, n]) => `${n} × ${why}`).join('<br>');
    out.push(`<tr class="${inv.failed ? 'failed' : ''}" data-invariant="${esc(inv.name)}"><td><code>${esc(inv.name)}</code><br><small>${esc(inv.description)}</small></td><td class="num">${inv.checked}</td><td class="num">${inv.failed}</td><td>${un ? un.split('<br>').map(esc).join('<br>') : '—'}</td></tr>`);
  }
  out.push('</table>');
  const ignored = Object.entries(c.ignored);
  if (ignored.length) out.push(`<details><summary>events replay had no use for (${ignored.reduce((n, [, k]) => n + k, 0)})</summary><ul>${ignored.map(([why, n]) => `<li>${n} × ${esc(why)}</li>`).join('')}</ul></details>`);
  out.push('</section>');
  return out.join('\n');
}

export function timelineBlock(tl: Timeline, fid: string, r?: ReplayReport): string {
  const out: string[] = [];
  out.push(`<h3>Timeline</h3>`);
  out.push(`<div class="timeline" id="${fid}-timeline" data-lanes="${tl.lanes.length}">`);
  out.push(
    `<div class="tools"><button data-zoom="0.5" title="zoom in">+</button><button data-zoom="2" title="zoom out">−</button><button data-zoom="reset">all</button><span class="range"></span>` +
      `<span>· wheel to zoom, drag to pan${tl.cpus.length > 1 ? ` · CPUs ${tl.cpus.join(', ')} drawn at their own height in each lane` : ''}</span></div>`,
  );
  out.push(timelineSvg(tl, fid));
  out.push(`<div class="tools legend">${LEGEND.map(([n, col]) => `<span><i style="background:${col}"></i>${esc(n)}</span>`).join('')}<span><i style="border:2px solid #cf222e;background:#fff"></i>divergence</span></div>`);
  out.push('</div>');
  const notes: string[] = [];
  if (tl.folded.lanes) notes.push(`${tl.folded.lanes} more lane(s) with ${tl.folded.events} events are folded (counted, not drawn)${r?.divergenceCount ? '; lanes with divergences are drawn first' : ''}`);
  const dropped = tl.lanes.reduce((n, l) => n + l.dropped, 0);
  if (dropped) notes.push(`${dropped} event(s) in the middle of long lanes are not drawn`);
  if (tl.thinned) notes.push(`${tl.thinned} genid point(s) or marks beyond the drawing limit left out`);
  if (tl.axis === 'line') notes.push('the trace has no timestamps: positions are trace line numbers');
  if (notes.length) out.push(`<p class="sub">${notes.map(esc).join(' · ')}</p>`);
  return out.join('\n');
}
