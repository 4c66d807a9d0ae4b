/** C literals: integers with their C type, characters, NULL and booleans. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { normalise, type CType } from '../values.ts';
import { constant } from './combinators.ts';
import type { CExpr, Compiler } from './types.ts';

/** Value and C type of an integer literal; v is NaN when the text is not one. */
export function parseIntLiteral(text: string): { v: number; t: CType } {
  if (text.startsWith('-')) {
    const r = parseIntLiteral(text.slice(1));
    return { v: normalise(-r.v, r.t), t: r.t };
  }
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m) return { v: NaN, t: 'int' };
  const body = m[1]!;
  const v = body.startsWith('0x') || body.startsWith('0X') ? parseInt(body, 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
  const suffix = m[2]!.toLowerCase();
  let t: CType = suffix.includes('l') ? (suffix.includes('u') ? 'u64' : 'int') : suffix.includes('u') ? 'uint' : 'int';
  // A hex literal that does not fit in int is unsigned int (C11 6.4.4.1).
  if (t === 'int' && v > 0x7fffffff) t = v > 0xffffffff ? 'u64' : 'uint';
  return { v: normalise(v, t), t };
}

/** The literal `node` is, compiled; undefined when it is not a literal. */
export function literal(c: Compiler, node: SyntaxNode): CExpr | undefined {
  switch (node.type) {
    case 'number_literal': {
      const { v, t } = parseIntLiteral(node.text);
      if (Number.isNaN(v)) throw c.err(node, `number literal ${node.text}`);
      return constant(t, v);
    }
    case 'char_literal': {
      const m = /^'(.)'$/.exec(node.text);
      if (!m) throw c.err(node, `character literal ${node.text}`);
      return constant('int', m[1]!.charCodeAt(0));
    }
    case 'null':
      return constant('ptr', null);
    case 'true':
      return constant('int', 1);
    case 'false':
      return constant('int', 0);
    default:
      return undefined;
  }
}
