/**
 * Compiles the tree-sitter syntax tree of C functions into closures, once per source text.
 *
 * Expressions that cannot touch shared memory compile to plain functions; everything else
 * compiles to generator functions that yield an Access just before each shared-memory
 * access (field of a route/peer/global, atomic op, cmpxchg, peer lookup). Driving the
 * generator to the end runs the function; resuming two of them alternately interleaves two
 * CPUs at exactly those points.
 *
 * The parts live in compile/: function (parameters, the body, and the object through which
 * the parts reach each other), blocks (labels and gotos), statements, declarations,
 * expressions, operators, arith, assignments, lvalues, calls, literals, and combinators (the
 * pure/generator split, written once).
 */
export { compileFunction } from './compile/function.ts';
export { callCompiled } from './compile/calls.ts';
export { declaredType, declaratorName } from './compile/declarators.ts';
export { unsupported, type CExpr, type CStmt, type LValue, type CompiledFunction, type CompileContext } from './compile/types.ts';
