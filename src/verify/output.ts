/** verify's report in any of its formats, KCIDB included (the CLI's one entry point). */
import { renderKcidb, toKcidb } from '../report/kcidb.ts';
import { renderVerify } from './render.ts';
import type { VerifyFormat } from './formats.ts';
import type { VerifyReport } from './index.ts';
import { verifyToKcidb } from './kcidb.ts';

/** `tree`: the tree the patch was applied to (the KCIDB checkout names it; the report does not). */
export function renderVerifyAs(r: VerifyReport, format: VerifyFormat, tree?: string): string {
  return format === 'kcidb' ? renderKcidb(toKcidb([verifyToKcidb(r, tree)])) : renderVerify(r, format);
}
