/** The whole ci run as one self-contained HTML page: a table of parts, then each part's own sections. */
import { packageVersion } from '../core/version.ts';
import { timingLine } from '../harness/render.ts';
import { conformBody } from '../report/html/conform.ts';
import { esc } from '../report/html/page.ts';
import { patchTextFor } from '../report/html/patch-text.ts';
import { reviewBody } from '../report/html/review.ts';
import { scanBody } from '../report/html/scan.ts';
import { sectionsHtml } from '../report/html/sections.ts';
import { verifyBody } from '../report/html/verify.ts';
import { formatOp } from '../verify/explain.ts';
import { renderState } from '../verify/render.ts';
import type { CiPart } from './types.ts';

function body(p: CiPart, prefix: string): string {
  if (p.error !== undefined) return `<p class="divergence">did not run: ${esc(p.error)}</p>`;
  switch (p.kind) {
    case 'review':
      return reviewBody(p.report!, patchTextFor(p.patch), prefix);
    case 'verify':
      return verifyBody(p.report!, patchTextFor(p.patch), { op: formatOp, state: renderState }, prefix);
    case 'scan':
      return scanBody(p.entries!, prefix);
    case 'conform':
      return conformBody(p.report!, timingLine(p.report!), prefix);
  }
}

export function ciHtml(parts: readonly CiPart[], exitCode: number): string {
  return sectionsHtml(
    `peerprop ci: ${parts.length} part(s)`,
    parts.map((p, i) => ({ id: `part-${i + 1}`, title: p.title, exitCode: p.exitCode, body: body(p, `p${i + 1}-`) })),
    exitCode,
    `peerprop ${packageVersion()}`,
  );
}
