/**
 * The default analysis of one tree or revision (pure: sources in, verdict out):
 *   read -> parse (tree-sitter-c) -> extract protocol facts -> detect the era from the code ->
 *   check: the differential check of the tree's own functions against the model profile of
 *   its era (pre-genid, seed, pmtu-redirect), or, in the fnhe era where those functions no
 *   longer exist, the facts that carry the same duty (src/scan/fnhe.ts).
 * Anything that prevents a check yields 'skipped' with the precise reason, never 'pass'.
 */
import { parseC, listFunctions, type SyntaxNode, type Tree } from '../csrc/parse.ts';
import { extractFnheFacts, judgeFnhe, FNHE_NOTE } from './fnhe.ts';
import { describeHeaderFacts, headerFacts } from './headers.ts';
import { defaultPipeline, type ScanPipeline } from './pipeline.ts';
import { PROTOCOL_FUNCTIONS, ROUTE_C, type StageTimings, type TreeLocation, type TreeSources, type Verdict } from './types.ts';

/** The first ERROR or MISSING node under `node` (document order), or the node itself if only it is marked. */
function firstError(node: SyntaxNode): SyntaxNode | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  if (!node.hasError) return undefined;
  for (const c of node.children) {
    const e = firstError(c);
    if (e) return e;
  }
  return node;
}

function at(n: SyntaxNode): TreeLocation {
  return { file: ROUTE_C, line: n.startPosition.row + 1, column: n.startPosition.column + 1 };
}

function skipped(reason: string, extra: Partial<Verdict> = {}): Verdict {
  return { status: 'skipped', era: 'unknown', checked: 'none', reason: `skipped: ${reason}`, ...extra };
}

/** Why a parsed route.c is not C at all (no function definition). */
function parseProblem(tree: Tree): { reason: string; location: TreeLocation } | undefined {
  if (listFunctions(tree).length > 0) return undefined;
  const e = firstError(tree.rootNode);
  const loc = e ? at(e) : { file: ROUTE_C, line: 1 };
  return { reason: `${ROUTE_C} does not parse as C (no function definition found${e ? `; first syntax error at ${loc.line}:${loc.column}` : ''})`, location: loc };
}

/** A syntax error inside a function the evaluator would run (the check would run on a guess). */
function protocolSyntaxProblem(tree: Tree): { reason: string; location: TreeLocation } | undefined {
  for (const f of listFunctions(tree)) {
    if (!PROTOCOL_FUNCTIONS.includes(f.name) || !f.node.hasError) continue;
    const e = firstError(f.node)!;
    const loc = at(e);
    return { reason: `${f.name} in ${ROUTE_C} does not parse (syntax error at ${loc.line}:${loc.column})`, location: loc };
  }
  return undefined;
}

/** Builds an analyser over a pipeline (tests inject their own; the default uses csrc + verify). */
export function makeAnalyser<F>(pipeline: ScanPipeline<F>): (s: TreeSources) => Verdict {
  return (sources) => {
    const timings: StageTimings = {};
    const time = <T>(stage: keyof StageTimings, fn: () => T): T => {
      const t0 = performance.now();
      try {
        return fn();
      } finally {
        timings[stage] = (timings[stage] ?? 0) + performance.now() - t0;
      }
    };
    const source = sources.routeC;
    if (source === undefined) return skipped(`${ROUTE_C} not found`, { timings });
    if (source.includes('\u0000')) return skipped(`${ROUTE_C} is not a text file (NUL byte)`, { timings });

    const tree = time('parse', () => parseC(source));
    const problem = parseProblem(tree);
    if (problem) return skipped(problem.reason, { location: problem.location, timings });

    const facts = time('extract', () => pipeline.extract(tree, source, ROUTE_C));
    const factProblem = pipeline.problem?.(facts, ROUTE_C);
    if (factProblem) return skipped(factProblem.reason, { location: factProblem.location, timings });
    const era = time('era', () => pipeline.detectEra(facts, source, ROUTE_C));
    const hfacts = headerFacts(sources.headers);
    const headers = describeHeaderFacts(hfacts);
    const rtable = hfacts.find((h) => h.struct === 'rtable');
    if ((era.era === 'seed' || era.era === 'pmtu-redirect') && rtable?.present && rtable.missing.includes('rt_peer_genid')) {
      headers.unshift(`warning: ${rtable.header} declares struct rtable without rt_peer_genid, which ${ROUTE_C} uses: the tree would not build`);
    }
    const base = { era: era.era, eraReason: era.reason, timings };

    if (era.era === 'unknown') {
      return skipped(`era not recognised: ${era.reason}`, { ...base, ...(era.location ? { location: era.location } : {}) });
    }

    if (era.era === 'fnhe') {
      const outcome = time('check', () => judgeFnhe(extractFnheFacts(source), ROUTE_C));
      const location = { file: ROUTE_C, line: outcome.line };
      if (!outcome.ok) {
        return { ...base, status: 'divergence', checked: 'facts', reason: `${FNHE_NOTE}; but ${outcome.problem}`, location, details: [...outcome.details, ...headers] };
      }
      return { ...base, status: 'pass', checked: 'facts', reason: `${FNHE_NOTE}; ${outcome.summary}`, location, details: [...outcome.details, ...headers] };
    }

    const syntax = protocolSyntaxProblem(tree);
    if (syntax) return skipped(syntax.reason, { ...base, location: syntax.location });
    const checkedEra = era.era;
    const check = time('check', () => pipeline.differential(tree, source, ROUTE_C, checkedEra, facts));
    const details = [...(check.details ?? []), ...headers];
    if (check.status === 'unsupported') {
      return { ...base, status: 'skipped', checked: 'none', reason: `skipped: ${check.reason}`, ...(check.location ? { location: check.location } : {}), details };
    }
    return {
      ...base,
      status: check.status,
      checked: 'differential',
      reason: check.reason,
      ...(check.location ? { location: check.location } : {}),
      ...(check.functions ? { functions: check.functions } : {}),
      details,
    };
  };
}

/** Worker threads pass memoised check results to each other through these (see pool.ts). */
export { exportShared, importShared } from './differential.ts';

/** The default analyser (what `peerprop scan` runs). */
export const analyse = makeAnalyser(defaultPipeline);
