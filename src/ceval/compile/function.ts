/**
 * Compiles one C function definition: its parameters and its body, through the parts of the
 * compiler (statements, blocks, declarations, expressions, lvalues), which reach each other
 * only through this object.
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import type { PeerpropError } from '../../core/errors.ts';
import type { Site } from '../values.ts';
import { Labels } from './blocks.ts';
import { declaratorName, declaredType } from './declarators.ts';
import { expr } from './expressions.ts';
import { lvalue } from './lvalues.ts';
import { stmtOrDeferred } from './statements.ts';
import { type CExpr, type CStmt, type CompileContext, type CompiledFunction, type Compiler, type LValue, Scope, unsupported } from './types.ts';

/**
 * Compiles one function definition. `publish` receives the (still empty) result before the
 * body compiles, so that a recursive call resolves to it.
 */
export function compileFunction(def: SyntaxNode, name: string, ctx: CompileContext, publish?: (f: CompiledFunction) => void): CompiledFunction {
  const c = new FunctionCompiler(def, name, ctx);
  publish?.(c.out);
  return c.compile();
}

class FunctionCompiler implements Compiler {
  private nslots = 0;
  readonly out: CompiledFunction;
  private readonly labels = new Labels();

  constructor(
    private readonly def: SyntaxNode,
    private readonly name: string,
    readonly ctx: CompileContext,
  ) {
    this.out = { name, params: [], ret: 'int', nslots: 0, body: undefined, site: this.site(def) };
  }

  site(n: SyntaxNode): Site {
    return { file: this.ctx.file, line: n.startPosition.row + 1, column: n.startPosition.column + 1, func: this.name };
  }

  err(n: SyntaxNode, what: string): PeerpropError {
    return unsupported(this.ctx, n, what);
  }

  slot(): number {
    return this.nslots++;
  }

  expr(n: SyntaxNode, scope: Scope): CExpr {
    return expr(this, n, scope);
  }

  lvalue(n: SyntaxNode, scope: Scope): LValue {
    return lvalue(this, n, scope);
  }

  stmt(n: SyntaxNode, scope: Scope): CStmt {
    return stmtOrDeferred(this, n, scope);
  }

  block(n: SyntaxNode, scope: Scope): CStmt {
    return this.labels.block(this, n, scope);
  }

  gotoCode(name: string, node: SyntaxNode): number {
    return this.labels.goto(name, node);
  }

  compile(): CompiledFunction {
    const def = this.def;
    const declarator = def.childForFieldName('declarator');
    this.out.ret = declaredType(def.childForFieldName('type'), declarator?.type === 'pointer_declarator' ? declarator : null);
    let fd = declarator;
    while (fd && fd.type !== 'function_declarator') fd = fd.childForFieldName('declarator');
    const scope = new Scope();
    const plist = fd?.childForFieldName('parameters');
    for (const p of plist?.namedChildren ?? []) {
      if (p.type === 'comment') continue;
      if (p.type === 'variadic_parameter') throw this.err(p, 'variadic function');
      if (p.type !== 'parameter_declaration') throw this.err(p, p.type);
      const d = p.childForFieldName('declarator');
      const t = declaredType(p.childForFieldName('type'), d);
      if (!d) {
        // `(void)`
        if (t === 'void') continue;
        throw this.err(p, 'unnamed parameter');
      }
      const id = declaratorName(d);
      if (!id) throw this.err(p, 'parameter declarator');
      if (t === 'struct') throw this.err(p, 'struct passed by value');
      scope.vars.set(id.text, { slot: this.slot(), t, struct: false });
      this.out.params.push({ name: id.text, t });
    }
    const body = def.childForFieldName('body');
    if (!body) throw this.err(def, 'function without a body');
    // Published before the body compiles so that recursion resolves.
    this.out.body = this.block(body, scope);
    this.out.nslots = this.nslots;
    this.labels.check(this);
    return this.out;
  }
}
