/**
 * Assignable (and addressable) expressions: locals, file-scope variables, struct fields and
 * pointer dereferences. Loads and stores of shared memory yield an Access first.
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { CStruct, FieldRef, FIELD_TYPES, IMMUTABLE_FIELDS, SELF_FIELDS, type CType, type Site, type Value } from '../values.ts';
import type { Frame, Gen } from '../machine.ts';
import { cFault, nullFault } from '../stubs.ts';
import type { CExpr, Compiler, LValue, Scope } from './types.ts';

/** An assignable (or addressable) expression. */
export function lvalue(c: Compiler, node: SyntaxNode, scope: Scope): LValue {
  const site = c.site(node);
  if (node.type === 'parenthesized_expression') {
    const inner = node.namedChildren.find((x) => x.type !== 'comment');
    if (inner) return c.lvalue(inner, scope);
  }
  if (node.type === 'identifier') {
    const name = node.text;
    const local = scope.lookup(name);
    if (local) {
      const s = local.slot;
      const t = local.t;
      const isStruct = local.struct;
      return {
        t,
        load: { t, pure: true, f: (fr) => fr.s[s]! },
        *store(fr, v) {
          fr.s[s] = v;
        },
        addr: {
          t: 'ptr',
          pure: true,
          f: (fr) => {
            if (isStruct) return fr.s[s]!;
            throw cFault(`address of local scalar ${name} is not modelled`, site);
          },
        },
      };
    }
    const gt = c.ctx.global(name);
    if (gt !== undefined) return fieldLvalue({ t: 'ptr', pure: true, f: (fr) => fr.m.globals }, name, gt, site, name);
    throw c.err(node, `cannot assign to ${name}`);
  }
  if (node.type === 'field_expression') {
    const base = c.expr(node.childForFieldName('argument')!, scope);
    const field = node.childForFieldName('field')!.text;
    return fieldLvalue(base, field, FIELD_TYPES[field] ?? 'int', site, node.text);
  }
  if (node.type === 'pointer_expression' && node.childForFieldName('operator')?.type === '*') {
    const p = c.expr(node.childForFieldName('argument')!, scope);
    return derefLvalue(p, site);
  }
  if (node.type === 'call_expression') {
    // ACCESS_ONCE(x) / READ_ONCE(x) as an lvalue: the access itself is x.
    const fnName = node.childForFieldName('function')?.text;
    const args = node.childForFieldName('arguments')?.namedChildren.filter((x) => x.type !== 'comment') ?? [];
    if ((fnName === 'ACCESS_ONCE' || fnName === 'READ_ONCE') && args.length === 1) return c.lvalue(args[0]!, scope);
  }
  if (node.type === 'cast_expression') throw c.err(node, 'assignment through a cast');
  throw c.err(node, `not an lvalue: ${node.type}`);
}

/** Field `field` (static type t) of the struct `base` evaluates to; `text` names it in faults. */
function fieldLvalue(base: CExpr, field: string, t: CType, site: Site, text: string): LValue {
  const evalBase = (v: Value): CStruct => {
    if (v instanceof CStruct) return v;
    if (v === null) throw nullFault(`NULL dereference in ${text}`, site);
    throw cFault(`${text}: not a struct`, site);
  };
  const zero: Value = t === 'ptr' ? null : 0;
  const read = (o: CStruct): Value => {
    const v = o.f[field];
    if (v !== undefined) return v;
    if (SELF_FIELDS[o.type]?.includes(field)) return o;
    if (o.zeroed) return zero;
    throw cFault(`field ${field} of ${o.label} (struct ${o.type}) is not modelled`, site);
  };
  const load: CExpr = {
    t,
    pure: false,
    g: function* (fr) {
      const o = evalBase(base.pure ? base.f(fr) : yield* base.g(fr));
      if (o.shared && !IMMUTABLE_FIELDS.has(field) && !SELF_FIELDS[o.type]?.includes(field) && !o.emb?.has(field)) yield { kind: 'read', target: `${o.label}.${field}`, site };
      return read(o);
    },
  };
  const addr: CExpr = {
    t: 'ptr',
    pure: false,
    g: function* (fr) {
      const o = evalBase(base.pure ? base.f(fr) : yield* base.g(fr));
      if (SELF_FIELDS[o.type]?.includes(field)) return o;
      const v = o.f[field];
      if (v instanceof CStruct && (o.emb?.has(field) || !o.shared)) return v;
      return new FieldRef(o, field);
    },
  };
  return {
    t,
    load,
    *store(fr, v) {
      const o = evalBase(base.pure ? base.f(fr) : yield* base.g(fr));
      if (SELF_FIELDS[o.type]?.includes(field) || o.emb?.has(field)) throw cFault(`assignment to embedded struct ${field}`, site);
      if (o.shared) {
        if (!(field in o.f) && !o.zeroed) throw cFault(`field ${field} of ${o.label} (struct ${o.type}) is not modelled`, site);
        yield { kind: 'write', target: `${o.label}.${field}`, site };
      }
      o.f[field] = v;
      fr.m.recordWrite(o, field, site);
    },
    addr,
  };
}

/** `*p`: the field or struct the pointer p evaluates to. */
function derefLvalue(p: CExpr, site: Site): LValue {
  const target = function* (fr: Frame): Gen<FieldRef | CStruct> {
    const v = p.pure ? p.f(fr) : yield* p.g(fr);
    if (v instanceof FieldRef || v instanceof CStruct) return v;
    if (v === null) throw nullFault('NULL dereference', site);
    throw cFault('dereference of a non-pointer', site);
  };
  return {
    t: 'int',
    load: {
      t: 'int',
      pure: false,
      g: function* (fr) {
        const r = yield* target(fr);
        if (r instanceof CStruct) return r;
        if (r.o.shared) yield { kind: 'read', target: `${r.o.label}.${r.k}`, site };
        return r.o.f[r.k] ?? 0;
      },
    },
    *store(fr, v) {
      const r = yield* target(fr);
      if (r instanceof CStruct) throw cFault('struct assignment', site);
      if (r.o.shared) yield { kind: 'write', target: `${r.o.label}.${r.k}`, site };
      r.o.f[r.k] = v;
      fr.m.recordWrite(r.o, r.k, site);
    },
    addr: p,
  };
}
