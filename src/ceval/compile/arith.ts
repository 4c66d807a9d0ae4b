/** C's arithmetic on the evaluator's values: conversions, comparisons and the binary operators. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { normalise, sameValue, type CType, type Value } from '../values.ts';
import { cFault, nullFault } from '../stubs.ts';
import type { Compiler } from './types.ts';

export const INTEGER_TYPES = new Set<CType>(['int', 'uint', 'u64']);

/** The type of a binary arithmetic result (the usual arithmetic conversions). */
export function arithType(a: CType, b: CType): CType {
  if (a === 'u64' || b === 'u64') return 'u64';
  if (a === 'uint' || b === 'uint') return 'uint';
  return 'int';
}

/** Compares as C does after the usual arithmetic conversions (unsigned wins). */
function cmpOperands(a: Value, b: Value, unsigned: boolean): [number, number] {
  let x = typeof a === 'number' ? a : a === null ? 0 : NaN;
  let y = typeof b === 'number' ? b : b === null ? 0 : NaN;
  if (unsigned) {
    x = x >>> 0;
    y = y >>> 0;
  }
  return [x, y];
}

function cmpEq(a: number, b: number, unsigned: boolean): boolean {
  return unsigned ? a >>> 0 === b >>> 0 : a === b;
}

/** The value function of binary operator `op` (not && or ||) on operands of types lt and rt. */
export function binop(c: Compiler, node: SyntaxNode, op: string, lt: CType, rt: CType): (a: Value, b: Value) => Value {
  const site = c.site(node);
  const isPtr = lt === 'ptr' || rt === 'ptr' || lt === 'struct' || rt === 'struct';
  const unsigned = lt === 'uint' || rt === 'uint' || lt === 'u64' || rt === 'u64';
  const t = arithType(lt, rt);
  switch (op) {
    case '==':
      return (a, b) => (sameValue(a, b) || (typeof a === 'number' && typeof b === 'number' && cmpEq(a, b, unsigned)) ? 1 : 0);
    case '!=':
      return (a, b) => (sameValue(a, b) || (typeof a === 'number' && typeof b === 'number' && cmpEq(a, b, unsigned)) ? 0 : 1);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (isPtr) throw c.err(node, `relational ${op} on pointers`);
      return (a, b) => {
        const [x, y] = cmpOperands(a, b, unsigned);
        return (op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y) ? 1 : 0;
      };
    }
  }
  if (isPtr) throw c.err(node, `pointer arithmetic (${op})`);
  const num = (v: Value): number => {
    if (typeof v === 'number') return v;
    throw cFault('integer operator on a pointer', site);
  };
  switch (op) {
    case '+':
      return (a, b) => normalise(num(a) + num(b), t);
    case '-':
      return (a, b) => normalise(num(a) - num(b), t);
    case '*':
      return (a, b) => (t === 'u64' ? num(a) * num(b) : normalise(Math.imul(num(a), num(b)), t));
    case '/':
    case '%':
      return (a, b) => {
        const y = num(b);
        if (y === 0) throw nullFault('division by zero', site);
        const x = num(a);
        return normalise(op === '/' ? Math.trunc(x / y) : x % y, t);
      };
    case '&':
      return (a, b) => normalise(num(a) & num(b), t);
    case '|':
      return (a, b) => normalise(num(a) | num(b), t);
    case '^':
      return (a, b) => normalise(num(a) ^ num(b), t);
    case '<<':
      return (a, b) => normalise(num(a) << num(b), lt === 'uint' ? 'uint' : 'int');
    case '>>':
      return (a, b) => (lt === 'uint' ? num(a) >>> num(b) : num(a) >> num(b));
    default:
      throw c.err(node, `binary operator ${op}`);
  }
}
