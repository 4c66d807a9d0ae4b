/**
 * One shard's output: JSON for `peerprop merge` (the document shard.ts builds), or text / KTAP of
 * its own boots for a job log. Only the merge of all shards is the matrix's verdict; the text
 * says so.
 */
import { toConformResults, renderText } from '../harness/render.ts';
import { toKtap } from '../report/ktap.ts';
import type { TestResult } from '../report/results.ts';
import type { ShardResult } from './shard.ts';

export type ShardFormat = 'json' | 'text' | 'ktap';
export const SHARD_FORMATS: readonly ShardFormat[] = ['json', 'text', 'ktap'];

function headline(r: ShardResult): string {
  const d = r.doc;
  return `peerprop conform: shard ${d.shard.index}/${d.shard.total} of matrix ${d.matrix.id} (${d.shard.work.length} of ${d.matrix.kernels.length * d.matrix.scenarios.length} pairs; the verdict is the merge of all ${d.shard.total})`;
}

export function renderShard(r: ShardResult, format: ShardFormat): string {
  if (format === 'json') return JSON.stringify(r.doc, null, 2) + '\n';
  const errors = r.doc.runs.filter((x) => x.error);
  if (format === 'ktap') {
    const results: TestResult[] = [];
    let next = 0;
    for (const run of r.doc.runs) {
      if (run.error) results.push({ name: `conform ${run.kernel}`, status: 'error', reason: run.error.message, subtests: run.scenarios.map((s) => ({ name: s, status: 'error' as const, reason: run.error!.message })) });
      else results.push(...toConformResults(r.reports[next++]!));
    }
    return toKtap(results, [headline(r)]);
  }
  const out = [headline(r)];
  for (const e of errors) out.push(`ERR  ${e.kernel}: ${e.scenarios.join(', ')} not run: ${e.error!.message}`);
  for (const rep of r.reports) out.push(renderText(rep).trimEnd());
  if (r.doc.runs.length === 0) out.push('empty shard: no pair of the matrix falls to it');
  return out.join('\n') + '\n';
}
