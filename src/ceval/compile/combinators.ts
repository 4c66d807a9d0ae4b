/**
 * The pure/generator split, written once. A compiled expression is pure (a plain function) when
 * it cannot touch shared memory, else a generator that yields before each shared access. These
 * helpers build an expression from its operands and keep it pure exactly when they all are, so
 * that pure code never pays for a generator.
 *
 * Inside a generator body an operand is read inline as `x.pure ? x.f(fr) : yield* x.g(fr)`: a
 * helper generator for that read would allocate one more generator per evaluation.
 */
import { normalise, type CType, type Site, type Value } from '../values.ts';
import type { Frame, Gen, TraceEntry } from '../machine.ts';
import type { CExpr } from './types.ts';

/** A constant. */
export function constant(t: CType, v: Value): CExpr {
  return { t, pure: true, f: () => v };
}

/** The same evaluation under another static type (pointer casts keep the object). */
export function retype(x: CExpr, t: CType): CExpr {
  return x.pure ? { t, pure: true, f: x.f } : { t, pure: false, g: x.g };
}

/** `fn` of one operand's value. */
export function map1(a: CExpr, t: CType, fn: (v: Value) => Value): CExpr {
  if (a.pure) {
    const f = a.f;
    return { t, pure: true, f: (fr) => fn(f(fr)) };
  }
  const g = a.g;
  return {
    t,
    pure: false,
    g: function* (fr) {
      return fn(yield* g(fr));
    },
  };
}

/** `fn` of two operands' values, the left evaluated first. */
export function map2(l: CExpr, r: CExpr, t: CType, fn: (a: Value, b: Value) => Value): CExpr {
  if (l.pure && r.pure) {
    const lf = l.f;
    const rf = r.f;
    return { t, pure: true, f: (fr) => fn(lf(fr), rf(fr)) };
  }
  return {
    t,
    pure: false,
    g: function* (fr) {
      const a = l.pure ? l.f(fr) : yield* l.g(fr);
      const b = r.pure ? r.f(fr) : yield* r.g(fr);
      return fn(a, b);
    },
  };
}

/** The values of several operands, left to right (a call's arguments). */
export function evalAll(args: readonly CExpr[]): (fr: Frame) => Gen<Value[]> {
  return function* (fr) {
    const vs: Value[] = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      vs[i] = a.pure ? a.f(fr) : yield* a.g(fr);
    }
    return vs;
  };
}

/** A value converted to a scalar type as an assignment does (pointers pass unchanged). */
export function convert(v: Value, t: CType): Value {
  return typeof v === 'number' ? normalise(v, t) : v;
}

/** Notes a statement as started (for "which C line"), and traces it when tracing is on. */
export function mark(fr: Frame, site: Site, kind: TraceEntry['kind']): void {
  fr.m.lastSite = site;
  if (fr.m.trace) fr.m.trace.push({ site, kind });
}
