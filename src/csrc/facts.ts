/**
 * Protocol facts of the route <-> inetpeer generation-ID mechanism, read from a C
 * syntax tree.
 *
 * The extractor knows the mechanism's vocabulary (a global `__*peer_genid`, a route
 * field `*peer_genid`, an accessor, `*_bind_peer`, `cmpxchg(&x->peer, ...)`, the
 * fnhe-era names) but not any particular kernel version: everything else comes from
 * the code, so it works on fixture trees, real kernel trees and hunk fragments.
 * tree-sitter ERROR regions never stop it; a function it cannot see whole is listed
 * in `unparsed`, never dropped.
 *
 * The parts: fact-vocabulary (the names), fact-reader (locations, genid reads), and the facts
 * of declarations, calls, operators and whole functions (fact-declarations, fact-calls,
 * fact-operators, fact-functions); this module reads a file and answers queries on the result.
 */

import type { Tree } from './parse.ts';
import { parseC } from './parse.ts';
import type { FunctionFacts, UnparsedFunction, ProtocolFacts, ExtractOptions } from './fact-types.ts';
import { descendants, ERRORS } from './syntax.ts';
import { findFunctions, textualDefinitions } from './definitions.ts';
import { DST_CHECK, FNHE_WORDS } from './fact-vocabulary.ts';
import { FactReader } from './fact-reader.ts';
import { fieldDecls, genidDecls } from './fact-declarations.ts';
import { readFunctionFacts } from './fact-functions.ts';

export type * from './fact-types.ts';
export { conjunction, negateText, isPrimary } from './conditions.ts';

/** Extracts the protocol facts of one C source (a whole file or a hunk fragment). */
export function extractFacts(source: string, file: string, opts: ExtractOptions = {}): ProtocolFacts {
  const tree: Tree = parseC(source);
  return extractFactsFromTree(tree, source, file, opts);
}

export function extractFactsFromTree(tree: Tree, source: string, file: string, opts: ExtractOptions = {}): ProtocolFacts {
  const mapLine = opts.mapLine ?? ((l: number) => l);
  const ex = new FactReader(file, mapLine);
  const root = tree.rootNode;

  const globals = genidDecls(ex, root);
  for (const g of globals) ex.globals.add(g.name);
  for (const a of opts.accessors ?? []) ex.accessors.add(a);

  const found = findFunctions(root);
  for (const f of found) if (ex.isAccessorDef(f.node)) ex.accessors.add(f.name);
  const functions = found.map((f) => readFunctionFacts(ex, f, source));

  // ERROR nodes only: MISSING tokens are only looked for inside the functions that matter.
  const errorNodes = descendants(root, ERRORS, false).length;
  // `->peer` uses by text (comments removed): cheaper than materialising every field_expression.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const peerFieldUses = (code.match(/->\s*peer\b/g) ?? []).length;
  const fnheMentions = (source.match(FNHE_WORDS) ?? []).length;

  const seen = new Set(found.map((f) => `${f.name}@${f.node.startPosition.row + 1}`));
  const names = new Set(found.map((f) => f.name));
  const unparsed: UnparsedFunction[] = [];
  for (const t of textualDefinitions(source)) {
    if (names.has(t.name) || seen.has(`${t.name}@${t.line}`)) continue;
    unparsed.push({ name: t.name, file, line: mapLine(t.line), reason: 'definition inside a region tree-sitter could not parse (macro-heavy code); its facts are unknown' });
  }

  const fields = fieldDecls(ex, root);
  return { file, functions, globals, fields, accessors: [...ex.accessors].sort(), unparsed, errorNodes, peerFieldUses, fnheMentions };
}

/** The facts of one function by name (the last definition wins, as in C with #ifdef variants). */
export function functionFacts(facts: ProtocolFacts, name: string): FunctionFacts | undefined {
  let hit: FunctionFacts | undefined;
  for (const f of facts.functions) if (f.name === name) hit = f;
  return hit;
}

/** Whether a function carries any fact of the mechanism (either era). */
export function hasProtocolFacts(f: FunctionFacts): boolean {
  return (
    f.isAccessor ||
    f.decls.length + f.reads.length + f.stamps.length + f.comparisons.length + f.binds.length + f.cmpxchgs.length + f.bumps.length > 0 ||
    f.counters.length + f.obsolete.length + f.fnheUpdates.length > 0 ||
    (DST_CHECK.test(f.name) && f.returns.length > 0)
  );
}

/** Every fact of a kind across all functions. */
export function allOf<K extends 'reads' | 'stamps' | 'comparisons' | 'binds' | 'cmpxchgs' | 'bumps' | 'returns' | 'counters' | 'obsolete' | 'fnheUpdates'>(
  facts: ProtocolFacts,
  kind: K,
): FunctionFacts[K] {
  return facts.functions.flatMap((f) => f[kind] as unknown[]) as FunctionFacts[K];
}
