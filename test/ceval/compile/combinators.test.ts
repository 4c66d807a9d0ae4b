import { describe, expect, it } from 'vitest';
import { Machine, type Access, type Frame, type Gen } from '../../../src/ceval/machine.ts';
import type { Site, Value } from '../../../src/ceval/values.ts';
import type { CExpr } from '../../../src/ceval/compile.ts';
import { constant, convert, evalAll, map1, map2, mark, retype } from '../../../src/ceval/compile/combinators.ts';

const site: Site = { file: 'x.c', line: 1, column: 1, func: 'f' };

function frame(): Frame {
  return { s: [], ret: 0, m: new Machine() };
}

/** A generator expression that yields one read of `name`, logs it, and gives v. */
function shared(name: string, v: Value, log: string[]): CExpr {
  return {
    t: 'int',
    pure: false,
    g: function* () {
      yield { kind: 'read', target: name, site };
      log.push(name);
      return v;
    },
  };
}

/** Drives an expression to its value, collecting what it yields. */
function run(x: CExpr, fr = frame()): { v: Value; yields: string[] } {
  if (x.pure) return { v: x.f(fr), yields: [] };
  const yields: string[] = [];
  const g: Gen<Value> = x.g(fr);
  for (;;) {
    const r = g.next();
    if (r.done) return { v: r.value, yields };
    yields.push((r.value as Access).target);
  }
}

describe('pure/generator combinators', () => {
  it('stay pure when every operand is pure (no generator for pure code)', () => {
    const a = constant('int', 3);
    const b = constant('int', 4);
    const sum = map2(a, b, 'int', (x, y) => (x as number) + (y as number));
    expect(sum.pure).toBe(true);
    expect(run(sum).v).toBe(7);
    const neg = map1(a, 'int', (x) => -(x as number));
    expect(neg.pure).toBe(true);
    expect(run(neg).v).toBe(-3);
  });

  it('become generators as soon as one operand is, evaluating left to right at its yields', () => {
    const log: string[] = [];
    const l = shared('left', 10, log);
    const r = shared('right', 5, log);
    const diff = map2(l, r, 'int', (x, y) => (x as number) - (y as number));
    expect(diff.pure).toBe(false);
    expect(run(diff)).toEqual({ v: 5, yields: ['left', 'right'] });
    expect(log).toEqual(['left', 'right']);
    const mixed = map2(constant('int', 1), shared('only', 2, []), 'int', (x, y) => (x as number) * 10 + (y as number));
    expect(mixed.pure).toBe(false);
    expect(run(mixed)).toEqual({ v: 12, yields: ['only'] });
    const m1 = map1(shared('one', 9, []), 'int', (x) => (x as number) + 1);
    expect(m1.pure).toBe(false);
    expect(run(m1)).toEqual({ v: 10, yields: ['one'] });
  });

  it('retype keeps the evaluation and changes only the static type', () => {
    const p = retype(shared('s', 1, []), 'ptr');
    expect(p.t).toBe('ptr');
    expect(run(p)).toEqual({ v: 1, yields: ['s'] });
    const q = retype(constant('int', null), 'ptr');
    expect(q.pure).toBe(true);
  });

  it('evaluates call arguments in order, pure ones without yielding', () => {
    const log: string[] = [];
    const all = evalAll([constant('int', 1), shared('a', 2, log), constant('int', 3), shared('b', 4, log)]);
    const g = all(frame());
    const seen: string[] = [];
    let r = g.next();
    while (!r.done) {
      seen.push((r.value as Access).target);
      r = g.next();
    }
    expect(r.value).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual(['a', 'b']);
  });

  it('converts numbers to the target type and leaves pointers alone', () => {
    expect(convert(-1, 'uint')).toBe(0xffffffff);
    expect(convert(0x1_0000_0001, 'uint')).toBe(1);
    expect(convert(null, 'uint')).toBe(null);
  });

  it('marks a statement as started, and traces it only when tracing is on', () => {
    const fr = frame();
    mark(fr, site, 'stmt');
    expect(fr.m.lastSite).toBe(site);
    expect(fr.m.trace).toBeUndefined();
    fr.m.trace = [];
    mark(fr, site, 'return');
    expect(fr.m.trace).toEqual([{ site, kind: 'return' }]);
  });
});
