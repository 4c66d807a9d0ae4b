/**
 * Several reports on one page (the main job: review, verify, replay): a table of contents with
 * each part's exit code, then each part's own sections.
 */
import { esc, htmlPage } from './page.ts';

export interface HtmlPart {
  id: string;
  title: string;
  exitCode: number;
  body: string;
}

export function sectionsHtml(title: string, parts: readonly HtmlPart[], exitCode: number, generator: string): string {
  const toc = `<table id="parts"><tr><th>part</th><th>exit</th></tr>${parts.map((p) => `<tr class="${p.exitCode ? 'failed' : ''}"><td><a href="#${esc(p.id)}">${esc(p.title)}</a></td><td class="num">${p.exitCode}</td></tr>`).join('')}</table>`;
  const body = parts.map((p) => `<section class="part" id="${esc(p.id)}"><h2>${esc(p.title)} <small>[exit ${p.exitCode}]</small></h2>\n${p.body}\n</section>`).join('\n');
  return htmlPage({ title, verdict: exitCode === 0 ? 'CONFORMANT' : exitCode === 1 ? 'FINDINGS' : 'INCOMPLETE', tone: exitCode === 0 ? 'ok' : exitCode === 1 ? 'bad' : 'none', exitCode, generator }, `${toc}\n${body}`);
}
