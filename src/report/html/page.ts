/**
 * One self-contained HTML page: inline CSS and script, no font, image or script fetched from
 * anywhere (a Content-Security-Policy says so to the browser too), readable offline from a CI
 * artefact. Every report section is plain HTML; the script only adds zoom and pan to timelines
 * and the jumps between a divergence and its place in a timeline.
 */

/** Escapes text for HTML content and attribute values. */
export function esc(s: string | number | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface PageOptions {
  title: string;
  /** The verdict word shown in the header badge and the page title. */
  verdict: string;
  /** 'ok' | 'bad' | 'none': the badge's colour. */
  tone: 'ok' | 'bad' | 'none';
  exitCode: number;
  /** One line under the title (era and why, kernel, ...). */
  subtitle?: string;
  generator: string;
}

export function htmlPage(o: PageOptions, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(o.generator)}">
<title>${esc(o.verdict)} · ${esc(o.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1><span class="badge ${o.tone}" id="verdict">${esc(o.verdict)}</span> ${esc(o.title)}</h1>
  ${o.subtitle ? `<p class="sub">${esc(o.subtitle)}</p>` : ''}
  <p class="sub">exit code <b id="exit-code">${o.exitCode}</b> · ${esc(o.generator)}</p>
</header>
<main>
${body}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d8dde6; --bg:#fff; --ok:#1a7f37; --bad:#cf222e; --none:#9a6700; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
main { padding: 8px 24px 48px; }
.sub { margin: 2px 0; color: var(--muted); }
.badge { display:inline-block; padding: 2px 10px; border-radius: 12px; color:#fff; font-size: 15px; vertical-align: 2px; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); } .badge.none { background: var(--none); }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #ffebe9; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; border: 1px solid var(--line); }
.divergence { border: 1px solid #f0b4b4; border-left: 4px solid var(--bad); padding: 6px 12px; margin: 10px 0; background: #fffafa; }
.divergence.target { outline: 3px solid var(--accent); }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.kv dt { color: var(--muted); } .kv dd { margin: 0; }
a { color: var(--accent); }
.timeline { border: 1px solid var(--line); margin: 8px 0; overflow: hidden; user-select: none; }
.timeline svg { display: block; width: 100%; cursor: grab; }
.timeline svg.dragging { cursor: grabbing; }
.tools { display: flex; gap: 8px; align-items: center; margin: 4px 0; color: var(--muted); font-size: 12.5px; }
.tools button { font: inherit; padding: 1px 8px; }
.legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
svg text { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--fg); }
svg .lanelabel { cursor: pointer; }
svg .mark.divergent { stroke: var(--bad); stroke-width: 2.5; }
svg .mark.target { stroke: var(--accent); stroke-width: 4; }
.scenario { border: 1px solid var(--line); padding: 4px 12px; margin: 8px 0; }
.scenario.fail { border-left: 4px solid var(--bad); } .scenario.pass { border-left: 4px solid var(--ok); } .scenario.skip { border-left: 4px solid var(--none); }
details > summary { cursor: pointer; }
.findings td.sev-error { color: var(--bad); font-weight: 600; } .findings td.sev-warning { color: var(--none); font-weight: 600; }
.patch .add { background: #e6ffec; } .patch .del { background: #ffebe9; } .patch .hunk { color: var(--accent); }
.patch .finding { background: #fff8c5; display: block; padding: 2px 6px; border-left: 3px solid var(--none); font-family: system-ui, sans-serif; }
`;

/**
 * Zoom (wheel, or the buttons) and pan (drag) of every timeline: marks carry their position on the
 * time axis (data-t, data-t2 for spans) and are moved, not scaled, so they keep their shape.
 * Clicking a divergence mark scrolls to its description; a "show in timeline" link highlights the mark.
 */
const SCRIPT = `
(function () {
  document.querySelectorAll('.timeline').forEach(function (box) {
    var svg = box.querySelector('svg');
    var x0 = +svg.dataset.x0, x1 = +svg.dataset.x1, t0 = +svg.dataset.t0, t1 = +svg.dataset.t1;
    var lo = t0, hi = t1;
    var marks = svg.querySelectorAll('[data-t]');
    function px(t) { return x0 + (t - lo) / ((hi - lo) || 1) * (x1 - x0); }
    function draw() {
      marks.forEach(function (m) {
        var a = px(+m.dataset.t);
        if (m.dataset.t2 !== undefined) {
          var b = px(+m.dataset.t2);
          m.setAttribute('x', Math.max(x0, Math.min(a, x1)));
          m.setAttribute('width', Math.max(1.5, Math.min(b, x1) - Math.max(a, x0)));
          m.style.display = b < x0 || a > x1 ? 'none' : '';
        } else if (m.tagName === 'line') {
          m.setAttribute('x1', a); m.setAttribute('x2', a);
          m.style.display = a < x0 || a > x1 ? 'none' : '';
        } else {
          m.setAttribute('transform', 'translate(' + a + ',' + m.dataset.y + ')');
          m.style.display = a < x0 - 2 || a > x1 + 2 ? 'none' : '';
        }
      });
      var steps = svg.querySelectorAll('path[data-steps]');
      steps.forEach(function (p) {
        var pts = JSON.parse(p.dataset.steps), y0 = +p.dataset.ymin, y1 = +p.dataset.ymax, vmin = +p.dataset.vmin, vmax = +p.dataset.vmax;
        var d = '', prevY = null;
        pts.forEach(function (q, i) {
          var x = Math.max(x0, Math.min(px(q[0]), x1));
          var y = y1 - (q[1] - vmin) / ((vmax - vmin) || 1) * (y1 - y0);
          d += (i === 0 ? 'M' + x + ',' + y : 'H' + x + 'V' + y);
          prevY = y;
        });
        if (pts.length) d += 'H' + x1;
        p.setAttribute('d', d);
      });
      var lab = box.querySelector('.range');
      if (lab) lab.textContent = fmt(lo) + ' … ' + fmt(hi) + ' ' + (svg.dataset.axis === 'ts' ? 's' : '(trace lines)');
    }
    function fmt(t) { return svg.dataset.axis === 'ts' ? t.toFixed(6) : String(Math.round(t)); }
    function zoom(f, at) {
      var c = at === undefined ? (lo + hi) / 2 : at;
      var nlo = c - (c - lo) * f, nhi = c + (hi - c) * f;
      if (nhi - nlo < (t1 - t0) / 1e6) return;
      lo = Math.max(t0, nlo); hi = Math.min(t1, nhi); draw();
    }
    function tAt(ev) { var r = svg.getBoundingClientRect(); var vb = svg.viewBox.baseVal; var x = (ev.clientX - r.left) / r.width * vb.width; return lo + (x - x0) / (x1 - x0) * (hi - lo); }
    svg.addEventListener('wheel', function (ev) { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25, tAt(ev)); }, { passive: false });
    var drag = null;
    svg.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, lo: lo, hi: hi }; svg.classList.add('dragging'); });
    window.addEventListener('mouseup', function () { drag = null; svg.classList.remove('dragging'); });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      var r = svg.getBoundingClientRect(); var vb = svg.viewBox.baseVal;
      var dt = -(ev.clientX - drag.x) / r.width * vb.width / (x1 - x0) * (drag.hi - drag.lo);
      dt = Math.max(t0 - drag.lo, Math.min(t1 - drag.hi, dt));
      lo = drag.lo + dt; hi = drag.hi + dt; draw();
    });
    box.querySelectorAll('button[data-zoom]').forEach(function (b) {
      b.addEventListener('click', function () { var z = b.dataset.zoom; if (z === 'reset') { lo = t0; hi = t1; draw(); } else zoom(+z); });
    });
    box.zoomTo = function (t) { var w = (hi - lo); if (w > (t1 - t0) / 20) w = (t1 - t0) / 20 || 1; lo = Math.max(t0, t - w / 2); hi = Math.min(t1, lo + w); draw(); };
    draw();
  });
  function highlight(id) {
    document.querySelectorAll('.target').forEach(function (e) { e.classList.remove('target'); });
    var el = document.getElementById(id);
    if (!el) return;
    el.classList.add('target');
    var box = el.closest && el.closest('.timeline');
    if (box && box.zoomTo && el.dataset.t !== undefined) box.zoomTo(+el.dataset.t);
    el.scrollIntoView({ block: 'center' });
  }
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('[data-goto]');
    if (!a) return;
    ev.preventDefault();
    highlight(a.dataset.goto);
    history.replaceState(null, '', '#' + a.dataset.goto);
  });
  if (location.hash) highlight(location.hash.slice(1));
})();
`;
