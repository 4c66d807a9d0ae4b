/**
 * The main job on built-in defaults (`npm start` / `peerprop default`): review the seed patch
 * against the fixture pre-image tree, verify the patched C against the reference model, and
 * replay every shipped real kernel trace through the model of its era.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { ExitCode } from '../core/errors.ts';
import { reviewPatch, renderText as renderReviewText } from '../review/index.ts';
import { verify } from '../verify/index.ts';
import { renderVerify } from '../verify/render.ts';
import { replayFilesWithTimelines, toText as replayText } from '../replay/index.ts';
import { formatOp } from '../verify/explain.ts';
import { renderState } from '../verify/render.ts';
import { sectionsHtml } from '../report/html/sections.ts';
import { reviewBody } from '../report/html/review.ts';
import { verifyBody } from '../report/html/verify.ts';
import { traceSection } from '../report/html/replay.ts';
import { patchTextFor } from '../report/html/patch-text.ts';
import { packageVersion } from '../core/version.ts';
import { exitCodeFor } from '../replay/index.ts';

/** The repository root, whatever the caller's working directory. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DEFAULT_PATCH = join(PACKAGE_ROOT, 'kernel-fixtures/route-genid.patch');
export const DEFAULT_TREE = join(PACKAGE_ROOT, 'kernel-fixtures/trees/pre-seed');
export const DEFAULT_TRACES_DIR = join(PACKAGE_ROOT, 'traces');

export interface DefaultJobResult {
  exitCode: ExitCode;
  /** One section per stage, ready to print. */
  sections: { title: string; body: string; exitCode: ExitCode }[];
  /** The same job as one self-contained HTML page (review, verify, replay with timelines). */
  html: string;
}

/** The shipped traces, as traces/expected.json lists them. */
export async function shippedTraces(dir = DEFAULT_TRACES_DIR): Promise<string[]> {
  const expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as { traces: Record<string, unknown> };
  return Object.keys(expected.traces).map((f) => join(dir, f));
}

export async function runDefaultJob(): Promise<DefaultJobResult> {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const sections: DefaultJobResult['sections'] = [];

  const review = await reviewPatch({ patch: rel(DEFAULT_PATCH), tree: rel(DEFAULT_TREE) });
  sections.push({
    title: `review ${rel(DEFAULT_PATCH)} --tree ${rel(DEFAULT_TREE)}`,
    body: renderReviewText(review),
    exitCode: review.exitCode === 1 ? ExitCode.Findings : ExitCode.Clean,
  });

  const verified = await verify({ patch: rel(DEFAULT_PATCH), tree: rel(DEFAULT_TREE) });
  sections.push({
    title: `verify ${rel(DEFAULT_PATCH)} --tree ${rel(DEFAULT_TREE)}`,
    body: renderVerify(verified, 'text'),
    exitCode: verified.ok ? ExitCode.Clean : ExitCode.Findings,
  });

  const traces = (await shippedTraces()).map(rel);
  const { reports, timelines } = await replayFilesWithTimelines(traces);
  sections.push({
    title: `replay ${traces.length} shipped real traces (traces/)`,
    body: reports.map((r) => replayText(r)).join('\n'),
    exitCode: exitCodeFor(reports),
  });

  const exitCode = sections.reduce<ExitCode>((worst, s) => (s.exitCode > worst ? s.exitCode : worst), ExitCode.Clean);
  const [reviewed, verifiedPart, replayed] = sections;
  const html = sectionsHtml(
    'peerprop main job',
    [
      { id: 'review', title: reviewed!.title, exitCode: reviewed!.exitCode, body: reviewBody(review, patchTextFor(DEFAULT_PATCH), 'review-') },
      { id: 'verify', title: verifiedPart!.title, exitCode: verifiedPart!.exitCode, body: verifyBody(verified, patchTextFor(DEFAULT_PATCH), { op: formatOp, state: renderState }, 'verify-') },
      { id: 'replay', title: replayed!.title, exitCode: replayed!.exitCode, body: reports.map((r, i) => traceSection(r, timelines[i], `t${i}`)).join('\n') },
    ],
    exitCode,
    `peerprop ${packageVersion()}`,
  );
  return { exitCode, sections, html };
}
