/** review's report in any of its formats, KCIDB included (the CLI's one entry point). */
import { renderKcidb, toKcidb } from '../report/kcidb.ts';
import type { ReviewFormat } from './formats.ts';
import { reviewToKcidb } from './kcidb.ts';
import { renderReview } from './render.ts';
import type { ReviewReport } from './types.ts';

export function renderReviewAs(r: ReviewReport, format: ReviewFormat): string {
  return format === 'kcidb' ? renderKcidb(toKcidb([reviewToKcidb(r)])) : renderReview(r, format);
}
