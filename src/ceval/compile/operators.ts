/** Expressions built from operators: unary, binary (short-circuit included), ?:, casts. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { cFault } from '../stubs.ts';
import { normalise, truthy, type CType, type Value } from '../values.ts';
import { arithType, binop, INTEGER_TYPES } from './arith.ts';
import { map1, map2, retype } from './combinators.ts';
import { declaredType } from './declarators.ts';
import type { CExpr, Compiler, Scope } from './types.ts';

export function unary(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const op = node.childForFieldName('operator')!.type;
  const a = c.expr(node.childForFieldName('argument')!, scope);
  let fn: (v: Value) => Value;
  let t: CType = a.t;
  switch (op) {
    case '!':
      fn = (v) => (truthy(v) ? 0 : 1);
      t = 'int';
      break;
    case '-':
      fn = (v) => normalise(-(v as number), t);
      break;
    case '+':
      fn = (v) => v;
      break;
    case '~':
      fn = (v) => normalise(~(v as number), t);
      break;
    default:
      throw c.err(node, `unary operator ${op}`);
  }
  if (op !== '!' && !INTEGER_TYPES.has(a.t)) throw c.err(node, `unary ${op} on a pointer`);
  return map1(a, t, fn);
}

export function binary(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const op = node.childForFieldName('operator')!.type;
  const l = c.expr(node.childForFieldName('left')!, scope);
  const r = c.expr(node.childForFieldName('right')!, scope);
  if (op === '&&' || op === '||') return logical(op === '&&', l, r);
  const fn = binop(c, node, op, l.t, r.t);
  const t: CType = ['==', '!=', '<', '>', '<=', '>='].includes(op) ? 'int' : arithType(l.t, r.t);
  return map2(l, r, t, fn);
}

/** `l && r` or `l || r`: the right operand (and its shared accesses) only runs when needed. */
function logical(and: boolean, l: CExpr, r: CExpr): CExpr {
  if (l.pure && r.pure) {
    const lf = l.f;
    const rf = r.f;
    return { t: 'int', pure: true, f: (fr) => (and ? (truthy(lf(fr)) && truthy(rf(fr)) ? 1 : 0) : truthy(lf(fr)) || truthy(rf(fr)) ? 1 : 0) };
  }
  return {
    t: 'int',
    pure: false,
    g: function* (fr) {
      const a = truthy(l.pure ? l.f(fr) : yield* l.g(fr));
      if (and ? !a : a) return and ? 0 : 1;
      return truthy(r.pure ? r.f(fr) : yield* r.g(fr)) ? 1 : 0;
    },
  };
}

export function conditional(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const cond = c.expr(node.childForFieldName('condition')!, scope);
  const consequence = node.childForFieldName('consequence');
  if (!consequence) {
    // GNU `a ?: b`: a (evaluated once) when non-zero, else b.
    const b0 = c.expr(node.childForFieldName('alternative')!, scope);
    const t0: CType = cond.t === 'ptr' || b0.t === 'ptr' ? 'ptr' : arithType(cond.t, b0.t);
    return {
      t: t0,
      pure: false,
      g: function* (fr) {
        const v = cond.pure ? cond.f(fr) : yield* cond.g(fr);
        if (truthy(v)) return typeof v === 'number' && t0 !== 'ptr' ? normalise(v, t0) : v;
        const w = b0.pure ? b0.f(fr) : yield* b0.g(fr);
        return typeof w === 'number' && t0 !== 'ptr' ? normalise(w, t0) : w;
      },
    };
  }
  const a = c.expr(consequence, scope);
  const b = c.expr(node.childForFieldName('alternative')!, scope);
  const t = a.t === 'ptr' || b.t === 'ptr' ? 'ptr' : arithType(a.t, b.t);
  const conv = (v: Value): Value => (typeof v === 'number' && t !== 'ptr' ? normalise(v, t) : v);
  if (cond.pure && a.pure && b.pure) {
    const cf = cond.f;
    const af = a.f;
    const bf = b.f;
    return { t, pure: true, f: (fr) => conv(truthy(cf(fr)) ? af(fr) : bf(fr)) };
  }
  return {
    t,
    pure: false,
    g: function* (fr) {
      const cv = cond.pure ? cond.f(fr) : yield* cond.g(fr);
      const e = truthy(cv) ? a : b;
      return conv(e.pure ? e.f(fr) : yield* e.g(fr));
    },
  };
}

export function cast(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const td = node.childForFieldName('type')!;
  const t = declaredType(td.childForFieldName('type'), td.childForFieldName('declarator'));
  const v = c.expr(node.childForFieldName('value')!, scope);
  // Pointer casts keep the object: (struct rtable *)dst is the same struct as dst.
  if (t === 'ptr') return retype(v, t);
  if (t === 'struct') throw c.err(node, 'cast to a struct');
  if (t === 'void') {
    // A pure operand has no effect to keep: it is not evaluated.
    return v.pure ? { t, pure: true, f: () => 0 } : map1(v, t, () => 0);
  }
  const site = c.site(node);
  return map1(v, t, (x) => {
    if (typeof x === 'number') return normalise(x, t);
    throw cFault('cast of a pointer to an integer', site);
  });
}
