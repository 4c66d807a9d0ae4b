/**
 * Calls: compiler-level macros (likely, READ_ONCE, WRITE_ONCE), functions defined in the same
 * file (compiled on first use), and stubs of kernel primitives.
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { PeerpropError, ExitCode } from '../../core/errors.ts';
import { truthy, type Value } from '../values.ts';
import type { Frame, Gen, Machine } from '../machine.ts';
import { STUBS, PREFER_STUB } from '../stubs.ts';
import { store } from './assignments.ts';
import { convert, evalAll, map1 } from './combinators.ts';
import type { CExpr, CompiledFunction, Compiler, Scope } from './types.ts';

export function call(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const fnNode = node.childForFieldName('function')!;
  const argNodes = node.childForFieldName('arguments')?.namedChildren.filter((x) => x.type !== 'comment') ?? [];
  const site = c.site(node);
  if (fnNode.type !== 'identifier') throw c.err(node, 'call through a function pointer');
  const name = fnNode.text;
  if (scope.lookup(name)) throw c.err(node, `call through the function pointer ${name}`);
  const arity = (n: number): void => {
    if (argNodes.length !== n) throw c.err(node, `${name}() with ${argNodes.length} arguments (expected ${n})`);
  };
  // Compiler-level macros.
  if (name === 'likely' || name === 'unlikely') {
    arity(1);
    return map1(c.expr(argNodes[0]!, scope), 'int', (v) => (truthy(v) ? 1 : 0));
  }
  if (name === 'ACCESS_ONCE' || name === 'READ_ONCE') {
    arity(1);
    return c.expr(argNodes[0]!, scope);
  }
  if (name === 'WRITE_ONCE') {
    arity(2);
    const lv = c.lvalue(argNodes[0]!, scope);
    return store(lv, c.expr(argNodes[1]!, scope), site, 'void');
  }
  const args = argNodes.map((a) => c.expr(a, scope));
  const evalArgs = evalAll(args);
  const target = PREFER_STUB.has(name) && STUBS[name] ? undefined : c.ctx.fn(name);
  if (target) {
    if (target.params.length !== args.length) throw c.err(node, `${name}() with ${args.length} arguments (its definition takes ${target.params.length})`);
    return {
      t: target.ret,
      pure: false,
      g: function* (fr) {
        const vs = yield* evalArgs(fr);
        return yield* callCompiled(target, vs, fr.m);
      },
    };
  }
  const stub = STUBS[name];
  if (!stub) throw c.err(node, `call to ${name}(): no definition in this file and no stub for it`);
  if (stub.arity >= 0) arity(stub.arity);
  if (stub.gen) {
    return {
      t: stub.ret,
      pure: false,
      g: function* (fr) {
        const vs = yield* evalArgs(fr);
        return yield* stub.call(fr, vs, site) as Gen<Value>;
      },
    };
  }
  return {
    t: stub.ret,
    pure: false,
    g: function* (fr) {
      const vs = yield* evalArgs(fr);
      return stub.call(fr, vs, site) as Value;
    },
  };
}

/** Runs a compiled function as a generator on machine m. */
export function* callCompiled(fn: CompiledFunction, args: Value[], m: Machine): Gen<Value> {
  const fr: Frame = { s: new Array(fn.nslots), ret: 0, m };
  for (let i = 0; i < fn.params.length; i++) fr.s[i] = convert(args[i]!, fn.params[i]!.t);
  if (!fn.body) throw new PeerpropError(`${fn.name}: called before it was compiled`, ExitCode.BadInput, fn.site);
  yield* fn.body(fr);
  return fr.ret;
}
