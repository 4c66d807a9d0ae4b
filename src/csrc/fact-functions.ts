/**
 * The facts of one function: one walk over its syntax tree hands each node to the part that
 * knows it (calls, operators), then the genid block and the returns are placed.
 */
import type { SyntaxNode } from './parse.ts';
import type { FunctionFacts, ReturnFact } from './fact-types.ts';
import { oneLine, same, conditionExpr, descendants, ERRORS, IFS } from './syntax.ts';
import { signatureOf, type FoundFunction } from './definitions.ts';
import { DST_CHECK, EXPIRY, RELEVANT } from './fact-vocabulary.ts';
import type { FactReader } from './fact-reader.ts';
import { genidDecls } from './fact-declarations.ts';
import { callFacts } from './fact-calls.ts';
import { assignmentFacts, comparisonFacts, updateFacts } from './fact-operators.ts';

export function readFunctionFacts(ex: FactReader, found: FoundFunction, source: string): FunctionFacts {
  const { node: def, name } = found;
  // Most functions of a kernel file say nothing about the mechanism: a text test
  // spares walking (and materialising) their syntax trees.
  const text = source.slice(def.startIndex, def.endIndex);
  const relevant = RELEVANT.test(text) || DST_CHECK.test(name) || [...ex.globals, ...ex.accessors].some((g) => text.includes(g));
  const facts: FunctionFacts = {
    name,
    file: ex.file,
    startLine: ex.mapLine(def.startPosition.row + 1),
    endLine: ex.mapLine(def.endPosition.row + 1),
    signature: signatureOf(def),
    ...(found.nameFromText ? { nameFromText: true } : {}),
    errorLines: [],
    isAccessor: ex.accessors.has(name) && ex.isAccessorDef(def),
    decls: relevant ? genidDecls(ex, def, name) : [],
    reads: [],
    stamps: [],
    comparisons: [],
    binds: [],
    cmpxchgs: [],
    bumps: [],
    returns: [],
    counters: [],
    obsolete: [],
    fnheUpdates: [],
  };
  if (!relevant) {
    if (def.hasError) for (const n of descendants(def, ERRORS, false)) facts.errorLines.push(ex.mapLine(n.startPosition.row + 1));
    return facts;
  }
  const body = def.childForFieldName('body') ?? def;
  const consumed = new Set<number>();
  const returns: SyntaxNode[] = [];

  for (const n of descendants(def)) {
    if (n.type === 'ERROR' || n.isMissing) {
      facts.errorLines.push(ex.mapLine(n.startPosition.row + 1));
      continue;
    }
    switch (n.type) {
      case 'call_expression':
        callFacts(ex, n, def, facts, consumed);
        break;
      case 'assignment_expression':
        assignmentFacts(ex, n, def, facts, consumed);
        break;
      case 'update_expression':
        updateFacts(ex, n, def, facts, consumed);
        break;
      case 'binary_expression':
        comparisonFacts(ex, n, def, facts);
        break;
      case 'return_statement':
        returns.push(n);
        break;
      case 'identifier':
        // Calls and operators come first in the walk: what they accounted for is consumed.
        if (ex.isGlobalGenid(n) && !consumed.has(n.startIndex) && !isDeclarator(n)) {
          facts.reads.push({ ...ex.loc(n), ...ex.cond(n, def), function: name, via: 'plain', name: n.text });
        }
        break;
      default:
        break;
    }
  }

  // The genid block: the first `if` whose condition compares genids.
  let block: SyntaxNode | undefined;
  for (const n of descendants(body, IFS)) {
    if (n.type !== 'if_statement') continue;
    const c = conditionExpr(n);
    if (c && ex.comparesGenid(c)) {
      block = n;
      break;
    }
  }
  if (block) {
    const c = conditionExpr(block)!;
    facts.genidBlock = { ...ex.loc(block), text: oneLine(c.text), condition: oneLine(c.text), endLine: ex.mapLine(block.endPosition.row + 1) };
  }
  if (DST_CHECK.test(name) || block) {
    for (const r of returns) {
      const value = r.namedChild(0);
      const pc = ex.cond(r, def);
      let position: ReturnFact['position'] = 'no-genid-block';
      if (block) {
        if (r.startIndex < block.startIndex) position = 'before-genid-block';
        else if (r.startIndex < block.endIndex) position = 'inside-genid-block';
        else position = 'after-genid-block';
      }
      facts.returns.push({
        ...ex.loc(r),
        ...pc,
        function: name,
        value: value ? oneLine(value.text) : '',
        checksExpiry: EXPIRY.test(pc.condition) || (!!value && EXPIRY.test(value.text)),
        position,
      });
    }
  }
  return facts;
}

function isDeclarator(n: SyntaxNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (p.type === 'init_declarator' && same(p.childForFieldName('declarator'), n)) return true;
  if (p.type === 'declaration') return true;
  return false;
}
