/**
 * A timeline as inline SVG: the genid as a step line, a row of trace-wide events (bumps with their
 * cause, flushes, workload markers, lost-event gaps shaded), then one lane per route / exception /
 * peer with its events; a check is a bar from its entry to its return (green: the route is valid,
 * grey: NULL), each CPU drawn at its own height in a lane. Positions are computed here (the page
 * reads without script) and again by the page's script when zooming.
 */
import type { Timeline, TimelineLane, TimelineMark } from '../../replay/timeline.ts';
import { esc } from './page.ts';

const WIDTH = 1200;
const X0 = 250;
const X1 = 1185;
const GENID_H = 70;
const TRACE_H = 34;
const LANE_H = 24;

const KIND_COLOUR: Record<string, string> = {
  route: '#8250df',
  bind: '#0969da',
  bind_ret: '#0969da',
  check: '#1a7f37',
  check_ret: '#1a7f37',
  pmtu: '#bc4c00',
  redirect: '#6f42c1',
  peer_new: '#57606a',
  route_free: '#57606a',
  fnhe: '#bc4c00',
  genid_bump: '#cf222e',
  flush: '#9a6700',
  marker: '#57606a',
};

export const LEGEND: [string, string][] = [
  ['check (valid)', '#1a7f37'],
  ['check (NULL)', '#8c959f'],
  ['bind / lookup', '#0969da'],
  ['route created', '#8250df'],
  ['PMTU / exception', '#bc4c00'],
  ['redirect', '#6f42c1'],
  ['genid bump', '#cf222e'],
  ['flush', '#9a6700'],
  ['lost events', '#ffd8b5'],
];

/** `fid` names the trace's section: marks are `${fid}-m<i>` and lead to divergence `${fid}-d<i>`. */
export function timelineSvg(tl: Timeline, fid: string): string {
  const id = fid;
  const lanes = tl.lanes;
  const height = GENID_H + TRACE_H + lanes.length * LANE_H + 28;
  const t0 = tl.start;
  const t1 = tl.end > tl.start ? tl.end : tl.start + 1;
  const px = (t: number) => X0 + ((t - t0) / (t1 - t0)) * (X1 - X0);
  const parts: string[] = [];
  // Lost-event gaps, shaded across every row.
  for (const g of tl.gaps) {
    const x = px(g.t);
    parts.push(`<line class="gap" data-t="${g.t}" x1="${x}" x2="${x}" y1="0" y2="${height - 20}" stroke="#ffd8b5" stroke-width="6"><title>lost events${g.count !== undefined ? ` (${g.count})` : ''}${g.cpu !== undefined ? ` on CPU ${g.cpu}` : ''} before line ${g.line}</title></line>`);
  }
  // The genid step line(s).
  parts.push(`<text x="4" y="16">genid</text>`);
  const counters = [...new Set(tl.genid.map((p) => p.counter))];
  counters.forEach((c, i) => {
    const pts = tl.genid.filter((p) => p.counter === c);
    const vmin = Math.min(...pts.map((p) => p.value));
    const vmax = Math.max(...pts.map((p) => p.value));
    const colour = ['#cf222e', '#0969da', '#1a7f37', '#8250df'][i % 4];
    const steps = pts.map((p) => [p.t, p.value]);
    parts.push(`<path class="genid" data-counter="${esc(c)}" data-steps="${esc(JSON.stringify(steps))}" data-ymin="8" data-ymax="${GENID_H - 8}" data-vmin="${vmin}" data-vmax="${vmax}" fill="none" stroke="${colour}" stroke-width="1.5" d=""><title>${esc(c === 'peer' ? '__rt_peer_genid' : c)}: ${vmin} … ${vmax}</title></path>`);
    parts.push(`<text x="4" y="${30 + i * 13}" fill="${colour}" style="fill:${colour}">${esc(c === 'peer' ? 'global' : c.slice(0, 28))} ${vmin}…${vmax}</text>`);
  });
  // Trace-wide row.
  const ty = GENID_H + TRACE_H / 2;
  parts.push(`<text x="4" y="${ty + 4}">bumps · flushes · markers</text>`);
  for (const m of tl.bumps) parts.push(mark(m, ty - 6, 'genid_bump', 'tick', px));
  for (const m of tl.flushes) parts.push(mark(m, ty, 'flush', 'square', px));
  for (const m of tl.markers) parts.push(mark(m, ty + 8, 'marker', 'dot', px));
  for (const m of tl.loose) parts.push(mark(m, ty, m.kind, 'ring', px, `${id}-m${m.divergence}`));
  // Lanes.
  lanes.forEach((lane, i) => {
    const y = GENID_H + TRACE_H + i * LANE_H;
    parts.push(laneSvg(lane, y, i, id, px, tl.cpus));
  });
  const axisY = height - 10;
  parts.push(`<line x1="${X0}" x2="${X1}" y1="${axisY - 8}" y2="${axisY - 8}" stroke="#d8dde6"/>`);
  return `<svg id="${fid}-svg" viewBox="0 0 ${WIDTH} ${height}" data-x0="${X0}" data-x1="${X1}" data-t0="${t0}" data-t1="${t1}" data-axis="${tl.axis}" role="img" aria-label="timeline of ${esc(tl.file)}">${parts.join('')}</svg>`;
}

function laneSvg(lane: TimelineLane, y: number, i: number, id: string, px: (t: number) => number, cpus: number[]): string {
  const out: string[] = [];
  const bg = lane.divergences.length ? '#fff0f0' : i % 2 ? '#f6f8fa' : '#ffffff';
  out.push(`<g class="lane" id="${id}-lane-${i}" data-lane="${esc(lane.id)}">`);
  out.push(`<rect x="0" y="${y}" width="${WIDTH}" height="${LANE_H}" fill="${bg}"/>`);
  // The lane's life, from its first to its last event.
  out.push(`<rect class="mark life" data-t="${lane.first}" data-t2="${lane.last}" x="${px(lane.first)}" y="${y + LANE_H / 2 - 1}" width="${Math.max(1.5, px(lane.last) - px(lane.first))}" height="2" fill="#d0d7de"/>`);
  out.push(`<text class="lanelabel" x="4" y="${y + 15}">${esc(short(lane))}<title>${esc(lane.label)}${lane.daddr ? ` → ${lane.daddr}` : ''}: ${lane.events} events${lane.dropped ? `, ${lane.dropped} not drawn` : ''}${lane.cpus.length ? `, CPU ${lane.cpus.join(', ')}` : ''}</title></text>`);
  const cpuY = (cpu: number | undefined) => {
    if (cpus.length <= 1 || cpu === undefined) return y + LANE_H / 2;
    const k = Math.max(0, cpus.indexOf(cpu));
    return y + 5 + (k % 4) * ((LANE_H - 10) / Math.max(1, Math.min(cpus.length, 4) - 1));
  };
  const open = new Map<number, TimelineMark>();
  for (const m of lane.marks) {
    const cy = cpuY(m.cpu);
    const ctx = m.cpu ?? -1;
    if (m.kind === 'check') {
      open.set(ctx, m);
      if (m.divergence !== undefined) out.push(mark(m, cy, 'check', 'ring', px, `${id}-m${m.divergence}`));
      continue;
    }
    if (m.kind === 'check_ret') {
      const entry = open.get(ctx);
      if (entry) {
        open.delete(ctx);
        const a = px(entry.t);
        const b = px(m.t);
        const fill = m.result === 'null' ? '#8c959f' : '#1a7f37';
        out.push(`<rect class="mark span k-check" data-t="${entry.t}" data-t2="${m.t}" x="${a}" y="${cy - 4}" width="${Math.max(1.5, b - a)}" height="8" fill="${fill}"><title>${esc(`line ${entry.line}: ${entry.text}\nline ${m.line}: ${m.text}`)}</title></rect>`);
        if (m.divergence !== undefined) out.push(mark(m, cy, 'check_ret', 'ring', px, `${id}-m${m.divergence}`));
        continue;
      }
    }
    const shape = m.kind === 'route' ? 'triangle' : m.kind === 'route_free' ? 'cross' : m.kind === 'bind' || m.kind === 'bind_ret' ? 'diamond' : 'dot';
    out.push(mark(m, cy, m.kind, m.divergence !== undefined ? 'ring' : shape, px, m.divergence !== undefined ? `${id}-m${m.divergence}` : undefined));
  }
  for (const m of open.values()) out.push(mark(m, cpuY(m.cpu), 'check', 'dot', px));
  out.push('</g>');
  return out.join('');
}

function short(lane: TimelineLane): string {
  const what = lane.kind === 'route' ? 'rt' : lane.kind === 'exception' ? 'fnhe' : 'peer';
  const ptr = lane.id.slice(lane.id.indexOf(':') + 1).replace(/^0xffff/, '…');
  return `${lane.divergences.length ? '✗ ' : ''}${what} ${ptr}${lane.daddr ? ` ${lane.daddr}` : ''}`.slice(0, 38);
}

function mark(m: TimelineMark, y: number, kind: string, shape: 'dot' | 'tick' | 'square' | 'ring' | 'triangle' | 'diamond' | 'cross', px: (t: number) => number, id?: string): string {
  const colour = m.kind === 'check_ret' && m.result === 'null' ? '#8c959f' : (KIND_COLOUR[kind] ?? '#57606a');
  const body =
    shape === 'tick' ? `<rect x="-1" y="-7" width="2" height="14" fill="${colour}"/>`
    : shape === 'square' ? `<rect x="-4" y="-4" width="8" height="8" fill="${colour}"/>`
    : shape === 'ring' ? `<circle r="7" fill="none" stroke="#cf222e" stroke-width="2.5"/><circle r="2.5" fill="#cf222e"/>`
    : shape === 'triangle' ? `<path d="M0,-5L5,4H-5Z" fill="${colour}"/>`
    : shape === 'diamond' ? `<path d="M0,-4L4,0L0,4L-4,0Z" fill="${colour}"/>`
    : shape === 'cross' ? `<path d="M-3,-3L3,3M3,-3L-3,3" stroke="${colour}" stroke-width="1.6"/>`
    : `<circle r="3" fill="${colour}"/>`;
  const cls = `mark k-${m.kind}${m.divergence !== undefined ? ' divergent' : ''}`;
  const goto = m.divergence !== undefined ? ` data-goto="${id?.replace(/-m(\d+)$/, '-d$1')}"` : '';
  const cpu = m.cpu !== undefined ? ` (CPU ${m.cpu}${m.pid !== undefined ? `, pid ${m.pid}` : ''})` : '';
  return `<g class="${cls}"${id ? ` id="${id}"` : ''}${goto} data-t="${m.t}" data-y="${y}" data-line="${m.line}" transform="translate(${px(m.t)},${y})">${body}<title>${esc(`line ${m.line}${cpu}: ${m.text}`)}</title></g>`;
}
