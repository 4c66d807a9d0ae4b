/**
 * `--bisect GOOD..BAD`: the first revision on BAD's first-parent line whose verdict differs
 * from GOOD's, by binary search. Verdicts come from the same blob-keyed cache as a history
 * scan, so the search reads and analyses at most log2(n) distinct versions of the files.
 */
import { badInput } from '../core/errors.ts';
import { listRevisions, resolveCommit, type Revision } from './git.ts';
import type { RevisionScanner } from './history.ts';
import type { BisectResult, ScanEntry, Verdict } from './types.ts';

/**
 * What "the verdict differs" compares: the status (pass / divergence / skipped). An era change
 * with the same status (pre-genid pass -> seed pass) is a feature landing, not a regression;
 * the era of each side is still reported.
 */
export function verdictKey(v: Verdict): string {
  return v.status;
}

export function parseBisectRange(spec: string): { good: string; bad: string } {
  const m = /^([^.][^]*?)\.\.([^.][^]*)$/.exec(spec);
  if (!m || m[1]!.includes('..') || m[2]!.includes('..')) {
    throw badInput(`--bisect expects GOOD..BAD (two revisions), got ${JSON.stringify(spec)}`);
  }
  return { good: m[1]!, bad: m[2]! };
}

export async function bisect(repo: string, spec: string, scanner: RevisionScanner): Promise<BisectResult> {
  const { good: goodSpec, bad: badSpec } = parseBisectRange(spec);
  const good = await resolveCommit(repo, goodSpec);
  const bad = await resolveCommit(repo, badSpec);
  const [goodRev] = await listRevisions(repo, good);
  const candidates: Revision[] = await listRevisions(repo, `${good}..${bad}`, { firstParent: true });
  // GOOD must be on BAD's first-parent line: the oldest candidate's first parent is GOOD.
  const onLine =
    candidates.length === 0 ? good === bad : (await resolveCommit(repo, `${candidates[0]!.oid}^1`).catch(() => '')) === good;
  if (!onLine) throw badInput(`--bisect: ${goodSpec} is not on the first-parent line of ${badSpec}`, { file: repo });
  const evaluated: ScanEntry[] = [];
  const at = async (rev: Revision): Promise<ScanEntry> => {
    const e = await scanner.scan(rev);
    evaluated.push(e);
    return e;
  };
  const goodEntry = await at(goodRev!);
  if (candidates.length === 0) {
    return {
      good,
      bad,
      goodVerdict: goodEntry.verdict,
      badVerdict: goodEntry.verdict,
      evaluated,
      candidates: 0,
      note: `${goodSpec}..${badSpec} is empty: nothing to bisect`,
    };
  }
  const key = verdictKey(goodEntry.verdict);
  const badEntry = await at(candidates[candidates.length - 1]!);
  const base = { good, bad, goodVerdict: goodEntry.verdict, badVerdict: badEntry.verdict, candidates: candidates.length };
  if (verdictKey(badEntry.verdict) === key) {
    return { ...base, evaluated, note: `${badSpec} has the same verdict as ${goodSpec} (${key}): nothing to bisect` };
  }
  // Invariant: everything up to lo has GOOD's verdict (lo = -1 is GOOD itself); hi differs.
  let lo = -1;
  let hi = candidates.length - 1;
  let hiEntry = badEntry;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const e = await at(candidates[mid]!);
    if (verdictKey(e.verdict) === key) lo = mid;
    else {
      hi = mid;
      hiEntry = e;
    }
  }
  return { ...base, first: hiEntry, evaluated };
}
