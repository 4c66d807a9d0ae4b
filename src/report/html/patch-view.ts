/**
 * A patch as a code-scanning view shows it: every line numbered as in the patch file, added and
 * removed lines coloured, hunk headers marked, and the findings written under the line they are
 * about (as SARIF annotations appear on a pull request).
 */
import { esc } from './page.ts';

export interface LineNote {
  /** 1-based line of the patch file. */
  line: number;
  level: 'error' | 'warning' | 'info';
  text: string;
  id?: string;
}

export function patchView(text: string, notes: readonly LineNote[], opts: { id: string; maxLines?: number } = { id: 'patch' }): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const byLine = new Map<number, LineNote[]>();
  for (const n of notes) byLine.set(n.line, [...(byLine.get(n.line) ?? []), n]);
  const max = opts.maxLines ?? 5000;
  const rows: string[] = [];
  let inDiff = false;
  lines.slice(0, max).forEach((l, i) => {
    const n = i + 1;
    if (l.startsWith('diff --git') || l.startsWith('--- ')) inDiff = true;
    const cls = !inDiff ? 'msg' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : '';
    rows.push(`<span class="${cls}" id="${opts.id}-L${n}" data-line="${n}"><span class="ln">${String(n).padStart(4)}</span> ${esc(l)}</span>`);
    for (const note of byLine.get(n) ?? []) {
      rows.push(`<span class="finding sev-${note.level}"${note.id ? ` id="${esc(note.id)}"` : ''}>${note.level.toUpperCase()}: ${esc(note.text)}</span>`);
    }
  });
  if (lines.length > max) rows.push(`<span class="msg">… ${lines.length - max} more lines not shown</span>`);
  const beyond = notes.filter((x) => x.line > Math.min(lines.length, max) || x.line < 1);
  for (const note of beyond) rows.push(`<span class="finding sev-${note.level}">${note.level.toUpperCase()} (line ${note.line}): ${esc(note.text)}</span>`);
  return `<pre class="patch" id="${opts.id}">${rows.join('\n')}</pre>`;
}
