/**
 * What the fact extractor knows while it reads one file: the file's genid globals and
 * accessors, how to locate a node, and how to recognise a read or a comparison of a genid.
 */
import type { SyntaxNode } from './parse.ts';
import type { FactLocation, GenidAccess, PathCondition } from './fact-types.ts';
import { oneLine, unwrap, calleeName, callArgs, binaryOperator, addressOf, descendants, BINARIES } from './syntax.ts';
import { pathTerms, conjunction } from './conditions.ts';
import { ATOMIC_READ, COMPARE_OPS, FIELD_GENID, GLOBAL_GENID, KNOWN_ACCESSOR, READ_ONCE } from './fact-vocabulary.ts';

export class FactReader {
  readonly accessors = new Set<string>();
  readonly globals = new Set<string>();

  constructor(
    readonly file: string,
    readonly mapLine: (line: number) => number,
  ) {}

  loc(n: SyntaxNode): FactLocation {
    return {
      file: this.file,
      line: this.mapLine(n.startPosition.row + 1),
      column: n.startPosition.column + 1,
      endLine: this.mapLine(n.endPosition.row + 1),
      text: oneLine(n.text),
    };
  }

  /** The path condition of n inside function fn. */
  cond(n: SyntaxNode, fn: SyntaxNode): PathCondition {
    const terms = pathTerms(n, fn, this.mapLine);
    return { condition: conjunction(terms), terms };
  }

  isGlobalGenid(n: SyntaxNode): boolean {
    const u = unwrap(n);
    return u.type === 'identifier' && (this.globals.has(u.text) || (GLOBAL_GENID.test(u.text) && u.text.startsWith('__')));
  }

  /** How a node reads a genid value, if it does. */
  genidValue(n: SyntaxNode): 'field' | GenidAccess | undefined {
    const u = unwrap(n);
    if (u.type === 'field_expression') {
      const f = u.childForFieldName('field');
      if (f && FIELD_GENID.test(f.text)) return 'field';
    }
    if (u.type === 'call_expression') {
      const name = calleeName(u);
      if (name && (this.accessors.has(name) || KNOWN_ACCESSOR.test(name)) && callArgs(u).length === 0) return 'accessor';
      const args = callArgs(u);
      if (name && ATOMIC_READ.test(name) && args[0]) {
        const target = addressOf(args[0]);
        if (target && this.isGlobalGenid(target)) return 'atomic_read';
      }
      if (name && READ_ONCE.test(name) && args[0] && this.isGlobalGenid(args[0])) return 'read_once';
    }
    if (this.isGlobalGenid(u)) return 'plain';
    return undefined;
  }

  /** An accessor: no parameters, body returns a read of the global genid. */
  isAccessorDef(def: SyntaxNode): boolean {
    const body = def.childForFieldName('body');
    if (!body) return false;
    const stmts = body.namedChildren.filter((c) => c.type !== 'comment');
    if (stmts.length !== 1 || stmts[0]!.type !== 'return_statement') return false;
    const value = stmts[0]!.namedChild(0);
    if (!value) return false;
    const kind = this.genidValue(value);
    return kind === 'atomic_read' || kind === 'plain' || kind === 'read_once';
  }

  /** Whether an expression compares a genid with something. */
  comparesGenid(expr: SyntaxNode): boolean {
    for (const n of descendants(expr, BINARIES)) {
      if (n.type === 'binary_expression' && COMPARE_OPS.has(binaryOperator(n))) {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if ((l && this.genidValue(l)) || (r && this.genidValue(r))) return true;
      }
    }
    return false;
  }
}
