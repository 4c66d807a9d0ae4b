/**
 * Expressions that store: `=`, compound assignments, `++`/`--`, WRITE_ONCE. A compound
 * assignment or an increment is a read and a separate write, as the compiled code does
 * (another CPU may run in between unless the code uses an atomic op).
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { normalise, type Site } from '../values.ts';
import { binop, INTEGER_TYPES } from './arith.ts';
import { convert } from './combinators.ts';
import type { CExpr, Compiler, LValue, Scope } from './types.ts';

/**
 * Stores r's value, converted to the target's type, into lv. The expression's value is the
 * value stored (an assignment), or nothing (`void`: WRITE_ONCE).
 */
export function store(lv: LValue, r: CExpr, site: Site, value: 'stored' | 'void'): CExpr {
  const t = lv.t;
  const keep = value === 'stored';
  return {
    t: keep ? t : 'void',
    pure: false,
    g: function* (fr) {
      const v = convert(r.pure ? r.f(fr) : yield* r.g(fr), t);
      yield* lv.store(fr, v, site);
      return keep ? v : 0;
    },
  };
}

export function assignment(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const op = node.childForFieldName('operator')!.type;
  const lv = c.lvalue(node.childForFieldName('left')!, scope);
  const r = c.expr(node.childForFieldName('right')!, scope);
  const t = lv.t;
  const site = c.site(node);
  if (op === '=') return store(lv, r, site, 'stored');
  const fn = binop(c, node, op.slice(0, -1), t, r.t);
  const load = lv.load;
  return {
    t,
    pure: false,
    g: function* (fr) {
      const a = load.pure ? load.f(fr) : yield* load.g(fr);
      const b = r.pure ? r.f(fr) : yield* r.g(fr);
      const v = convert(fn(a, b), t);
      yield* lv.store(fr, v, site);
      return v;
    },
  };
}

export function update(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const op = node.childForFieldName('operator')!.type;
  const arg = node.childForFieldName('argument')!;
  const prefix = node.firstChild?.type === op;
  const lv = c.lvalue(arg, scope);
  const t = lv.t;
  if (!INTEGER_TYPES.has(t)) throw c.err(node, `${op} on a pointer`);
  const d = op === '++' ? 1 : -1;
  const site = c.site(node);
  const load = lv.load;
  return {
    t,
    pure: false,
    g: function* (fr) {
      const old = (load.pure ? load.f(fr) : yield* load.g(fr)) as number;
      const nu = normalise(old + d, t);
      yield* lv.store(fr, nu, site);
      return prefix ? nu : old;
    },
  };
}
