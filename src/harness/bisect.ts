/**
 * `conform --git REPO --bisect GOOD..BAD`: the first commit whose verdict differs from GOOD's,
 * found the way `git bisect run` finds it, with our verdict as the test.
 *
 * The candidates form a DAG (the commits of GOOD..BAD that touch the chosen paths, parents
 * rewritten to the nearest such commit, as `git rev-list --parents -- PATHS` gives them; in
 * first-parent mode a line). Each step tests the candidate that splits the remaining set most
 * evenly (git bisect's choice: the commit whose ancestor count within the set is closest to
 * half), then keeps its ancestors (verdict turned) or drops them (verdict as GOOD's). A commit
 * that cannot be built or booted is skipped (`git bisect skip`) and the next best tried; if only
 * skipped commits remain between the last old and the first new one, all of them are named.
 *
 * Direction-free: "old" is GOOD's verdict, "new" is anything else, so it finds a regression
 * (GOOD passes, BAD fails) and a fix (GOOD fails, BAD passes) alike.
 */
import { badInput } from '../core/errors.ts';

export interface BisectCommit {
  oid: string;
  subject: string;
  /** Parents inside the candidate set (rewritten past commits that do not touch the paths). */
  parents: string[];
}

export interface BisectGraph {
  good: BisectCommit;
  bad: BisectCommit;
  /** Commits of GOOD..BAD that touch the paths, in any order (BAD itself may be absent). */
  commits: BisectCommit[];
}

/** What one revision gave: a verdict (compared by key) or a reason to skip it. */
export type Outcome =
  | {
      kind: 'verdict';
      key: string;
      summary: string;
      evidence: string[];
      /**
       * Per scenario, when the verdict has parts: only scenarios judged on both sides are
       * compared ('skip' = not part of that kernel's era contract), so an era change alone
       * (a scenario that one era states and another does not) is not a turn.
       */
      statuses?: Record<string, string>;
    }
  | { kind: 'skip'; reason: string };

type Verdict = Outcome & { kind: 'verdict' };

/** Same verdict as GOOD's, different, or nothing judged on both sides (undefined). */
export function sameVerdict(good: Verdict, o: Verdict): boolean | undefined {
  if (!good.statuses || !o.statuses) return good.key === o.key;
  const common = Object.keys(good.statuses).filter((k) => o.statuses![k] !== undefined && o.statuses![k] !== 'skip' && good.statuses![k] !== 'skip');
  if (common.length === 0) return undefined;
  return common.every((k) => good.statuses![k] === o.statuses![k]);
}

export interface Step {
  oid: string;
  subject: string;
  outcome: Outcome;
  /** old = GOOD's verdict, new = a different one. */
  mark: 'old' | 'new' | 'skip';
  /** Candidates left after this step. */
  remaining: number;
}

export interface BisectResult {
  good: { oid: string; subject: string; outcome: Outcome };
  bad: { oid: string; subject: string; outcome: Outcome };
  candidates: number;
  steps: Step[];
  /** The first commit whose verdict differs from GOOD's, with its outcome. */
  first?: { oid: string; subject: string; outcome: Outcome & { kind: 'verdict' } };
  /** When skipped commits leave it open: the commits any of which may be first. */
  ambiguous?: { oid: string; subject: string }[];
  note: string;
}

export type Evaluate = (c: BisectCommit, role: 'good' | 'bad' | 'midpoint') => Promise<Outcome>;

export async function runBisect(graph: BisectGraph, evaluate: Evaluate, log: (s: string) => void = () => {}): Promise<BisectResult> {
  const goodOut = await evaluate(graph.good, 'good');
  if (goodOut.kind === 'skip') throw badInput(`--bisect: GOOD ${short(graph.good.oid)} cannot be judged: ${goodOut.reason}`);
  const badOut = await evaluate(graph.bad, 'bad');
  if (badOut.kind === 'skip') throw badInput(`--bisect: BAD ${short(graph.bad.oid)} cannot be judged: ${badOut.reason}`);
  const base = {
    good: { oid: graph.good.oid, subject: graph.good.subject, outcome: goodOut },
    bad: { oid: graph.bad.oid, subject: graph.bad.subject, outcome: badOut },
    candidates: graph.commits.length,
  };
  const badSame = sameVerdict(goodOut, badOut);
  if (badSame === undefined) throw badInput(`--bisect: no scenario is judged on both GOOD (${goodOut.summary}) and BAD (${badOut.summary})`);
  if (badSame) return { ...base, steps: [], note: `GOOD and BAD have the same verdict (${goodOut.summary}): nothing to bisect` };

  // Index the set; ancestors as bitsets over the index (parents outside the set are ignored).
  const nodes = graph.commits.filter((c) => c.oid !== graph.good.oid);
  const index = new Map(nodes.map((c, i) => [c.oid, i]));
  const n = nodes.length;
  const words = Math.ceil(n / 32) || 1;
  const anc: (Uint32Array | undefined)[] = new Array(n);
  const ancestors = (i: number): Uint32Array => {
    // Iterative post-order: history can be thousands of commits deep.
    const stack: number[] = [i];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (anc[top]) {
        stack.pop();
        continue;
      }
      const ps = nodes[top]!.parents.map((p) => index.get(p)).filter((p): p is number => p !== undefined);
      const pending = ps.filter((p) => !anc[p]);
      if (pending.length) {
        stack.push(...pending);
        continue;
      }
      const set = new Uint32Array(words);
      set[top >>> 5]! |= 1 << (top & 31);
      for (const p of ps) for (let w = 0; w < words; w++) set[w]! |= anc[p]![w]!;
      anc[top] = set;
      stack.pop();
    }
    return anc[i]!;
  };
  const has = (set: Uint32Array, i: number) => (set[i >>> 5]! & (1 << (i & 31))) !== 0;

  // Everything is an ancestor of BAD; `newest` is the newest commit known to have the new verdict.
  let newest: number | undefined = index.get(graph.bad.oid);
  let newestOutcome: Outcome & { kind: 'verdict' } = badOut;
  const oldTested: number[] = [];
  const skipped = new Set<number>();
  const steps: Step[] = [];
  const remainingSet = (): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (newest !== undefined && !has(ancestors(newest), i)) continue;
      if (oldTested.some((o) => has(ancestors(o), i))) continue;
      out.push(i);
    }
    return out;
  };

  for (;;) {
    const set = remainingSet();
    const open = set.filter((i) => i !== newest && !skipped.has(i));
    if (open.length === 0) {
      const left = set.filter((i) => i !== newest);
      if (left.length === 0) {
        if (newest === undefined) {
          return { ...base, steps, note: `no commit touching the paths changes the verdict: it turns in a commit outside them, between the last old candidate and ${short(graph.bad.oid)}` };
        }
        const c = nodes[newest]!;
        return { ...base, steps, first: { oid: c.oid, subject: c.subject, outcome: newestOutcome }, note: `first commit with a different verdict: ${short(c.oid)} "${c.subject}"` };
      }
      const amb = [...left, ...(newest !== undefined ? [newest] : [])].map((i) => ({ oid: nodes[i]!.oid, subject: nodes[i]!.subject }));
      return { ...base, steps, ambiguous: amb, note: `skipped commits leave it open: the first commit with a different verdict is one of ${amb.map((a) => short(a.oid)).join(', ')}` };
    }
    // git bisect's choice: the ancestor count within the set closest to half of it.
    const inSet = new Uint8Array(n);
    for (const i of set) inSet[i] = 1;
    let best = open[0]!;
    let bestScore = -1;
    for (const i of open) {
      const a = ancestors(i);
      let count = 0;
      for (const j of set) if (has(a, j)) count++;
      const score = Math.min(count, set.length - count);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    const c = nodes[best]!;
    log(`bisect: ${set.length} candidates left, testing ${short(c.oid)} "${c.subject}"`);
    let out = await evaluate(c, 'midpoint');
    const same = out.kind === 'verdict' ? sameVerdict(goodOut, out) : undefined;
    if (out.kind === 'verdict' && same === undefined) out = { kind: 'skip', reason: `no scenario judged both here and on GOOD (${out.summary})` };
    let mark: Step['mark'];
    if (out.kind === 'skip') {
      skipped.add(best);
      mark = 'skip';
      log(`bisect: skipping ${short(c.oid)}: ${out.reason}`);
    } else if (same) {
      oldTested.push(best);
      mark = 'old';
    } else {
      newest = best;
      newestOutcome = out;
      mark = 'new';
    }
    steps.push({ oid: c.oid, subject: c.subject, outcome: out, mark, remaining: remainingSet().filter((i) => i !== newest).length });
  }
}

function short(oid: string): string {
  return oid.slice(0, 12);
}
