/**
 * Path conditions: the conjunction of the if / else / loop / && / || / ?: / case tests that
 * lead from a function's top to a statement, as C text (else branches negated).
 */
import type { SyntaxNode } from './parse.ts';
import type { PathTerm } from './fact-types.ts';
import { oneLine, same, binaryOperator, conditionExpr } from './syntax.ts';

export function unwrapParens(n: SyntaxNode): SyntaxNode {
  let cur = n;
  while (cur.type === 'parenthesized_expression' && cur.namedChildCount === 1) cur = cur.namedChild(0)!;
  return cur;
}

/** Renders terms as one C condition. */
export function conjunction(terms: PathTerm[]): string {
  if (terms.length === 0) return 'true';
  return terms.map((t) => (t.negated ? negateText(t.text) : asConjunctText(t.text))).join(' && ');
}

/** Whether `text` is one primary expression: a name, a field chain, a call, or one parenthesised group. */
export function isPrimary(text: string): boolean {
  if (/^[\w>.-]+$/.test(text)) return true;
  const m = /^[\w>.-]*\(/.exec(text);
  if (!m || !text.endsWith(')')) return false;
  // The parenthesis opened after the name must close at the very end.
  let depth = 0;
  for (let i = m[0].length - 1; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') {
      depth--;
      if (depth === 0 && i !== text.length - 1) return false;
    }
  }
  return true;
}

/** C text of `!(text)`, simplified: `!x`, and `!!x` -> `x`. */
export function negateText(text: string): string {
  if (text.startsWith('!') && isPrimary(text.slice(1))) {
    const inner = text.slice(1);
    return inner.startsWith('(') ? inner.slice(1, -1) : inner;
  }
  return isPrimary(text) ? `!${text}` : `!(${text})`;
}

function asConjunctText(text: string): string {
  // Parenthesise a top-level || or ?: so that the && binds as written.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && ((ch === '|' && text[i + 1] === '|') || ch === '?')) return `(${text})`;
  }
  return text;
}


export function pathTerms(node: SyntaxNode, stopAt: SyntaxNode, mapLine: (l: number) => number): PathTerm[] {
  const terms: PathTerm[] = [];
  let child = node;
  let p = node.parent;
  while (p && !same(p, stopAt)) {
    const line = mapLine(p.startPosition.row + 1);
    switch (p.type) {
      case 'if_statement': {
        const cond = conditionExpr(p);
        if (cond) {
          if (same(p.childForFieldName('consequence'), child)) terms.push({ text: oneLine(cond.text), negated: false, kind: 'if', line });
          else if (same(p.childForFieldName('alternative'), child)) terms.push({ text: oneLine(cond.text), negated: true, kind: 'if', line });
        }
        break;
      }
      case 'while_statement':
      case 'for_statement': {
        const cond = conditionExpr(p);
        const body = p.childForFieldName('body');
        if (cond && same(body, child)) terms.push({ text: oneLine(cond.text), negated: false, kind: 'loop', line });
        break;
      }
      case 'conditional_expression': {
        const cond = p.childForFieldName('condition');
        if (cond) {
          const c = oneLine(unwrapParens(cond).text);
          if (same(p.childForFieldName('consequence'), child)) terms.push({ text: c, negated: false, kind: 'ternary', line });
          else if (same(p.childForFieldName('alternative'), child)) terms.push({ text: c, negated: true, kind: 'ternary', line });
        }
        break;
      }
      case 'binary_expression': {
        const op = binaryOperator(p);
        const left = p.childForFieldName('left');
        if (left && same(p.childForFieldName('right'), child)) {
          if (op === '&&') terms.push({ text: oneLine(unwrapParens(left).text), negated: false, kind: 'and', line });
          else if (op === '||') terms.push({ text: oneLine(unwrapParens(left).text), negated: true, kind: 'or', line });
        }
        break;
      }
      case 'case_statement': {
        const value = p.childForFieldName('value');
        let sw: SyntaxNode | null = p.parent;
        while (sw && sw.type !== 'switch_statement' && !same(sw, stopAt)) sw = sw.parent;
        const swCond = sw && sw.type === 'switch_statement' ? conditionExpr(sw) : null;
        if (value && swCond) terms.push({ text: `${oneLine(swCond.text)} == ${oneLine(value.text)}`, negated: false, kind: 'case', line });
        break;
      }
      default:
        break;
    }
    child = p;
    p = p.parent;
  }
  return terms.reverse();
}

