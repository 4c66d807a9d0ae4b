/**
 * The shapes the compiler's parts exchange: compiled expressions, statements and lvalues, the
 * compiled function, what the compiler needs from the program, and the `Compiler` through which
 * one part reaches the others (so that the parts import none of each other).
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { PeerpropError, ExitCode } from '../../core/errors.ts';
import type { CType, Site, Value } from '../values.ts';
import type { Frame, Gen } from '../machine.ts';

/** A compiled expression: pure (`f`) or a generator (`g`). */
export type CExpr =
  | { t: CType; pure: true; f: (fr: Frame) => Value }
  | { t: CType; pure: false; g: (fr: Frame) => Gen<Value> };

/** Statement completion: 0 = fell through, 1 = returned, >= 2 = a goto (see Labels). */
export type CStmt = (fr: Frame) => Gen<number>;

export interface LValue {
  t: CType;
  load: CExpr;
  /** Stores v (already normalised); a generator when the target is shared. */
  store: (fr: Frame, v: Value, site: Site) => Gen<void>;
  addr: CExpr;
}

/** A compiled function: its body runs in a fresh Frame. */
export interface CompiledFunction {
  name: string;
  params: { name: string; t: CType }[];
  ret: CType;
  nslots: number;
  body: CStmt | undefined;
  site: Site;
}

/** What the compiler needs from the program (functions, globals, macros of the same file). */
export interface CompileContext {
  file: string;
  /** Compiled function by name (compiling it on first use); undefined when the file has none. */
  fn(name: string): CompiledFunction | undefined;
  /** Static type of a file-scope variable, registering it as used; undefined when none. */
  global(name: string): CType | undefined;
  /** Value of an object-like #define with a numeric body. */
  define(name: string): number | undefined;
  /**
   * When set, a statement the evaluator cannot compile is replaced by one that raises the same
   * error if it is ever executed, and the error is passed here (so reports can list what was
   * not evaluated). Otherwise the error is thrown at once.
   */
  defer?(e: PeerpropError): void;
}

/** The unsupported-construct error: names file:line:column and the construct. */
export function unsupported(ctx: { file: string }, node: SyntaxNode, what: string): PeerpropError {
  return new PeerpropError(`unsupported C construct: ${what}`, ExitCode.BadInput, {
    file: ctx.file,
    line: node.startPosition.row + 1,
    column: node.startPosition.column + 1,
  });
}

export interface LocalVar {
  slot: number;
  t: CType;
  struct: boolean;
}

/** Local variables of one block, seeing those of the enclosing blocks. */
export class Scope {
  vars = new Map<string, LocalVar>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): LocalVar | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

/**
 * The function being compiled, as its parts see it: where a node is, the error for what cannot
 * be compiled, frame slots, and recursion into sub-expressions, lvalues, statements and blocks.
 */
export interface Compiler {
  readonly ctx: CompileContext;
  /** The result, filled in as compilation goes (its `ret` is known before the body compiles). */
  readonly out: CompiledFunction;
  site(n: SyntaxNode): Site;
  err(n: SyntaxNode, what: string): PeerpropError;
  /** A fresh frame slot. */
  slot(): number;
  expr(n: SyntaxNode, scope: Scope): CExpr;
  lvalue(n: SyntaxNode, scope: Scope): LValue;
  /** A statement; in lenient mode an uncompilable one becomes a run-time error at its place. */
  stmt(n: SyntaxNode, scope: Scope): CStmt;
  block(n: SyntaxNode, scope: Scope): CStmt;
  /** Completion code of `goto name`, recording the goto for the final check of its target. */
  gotoCode(name: string, node: SyntaxNode): number;
}
