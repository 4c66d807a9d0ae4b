/**
 * Compiles the tree-sitter syntax tree of C functions into closures, once per source text.
 *
 * Expressions that cannot touch shared memory compile to plain functions; everything else
 * compiles to generator functions that yield an Access just before each shared-memory
 * access (field of a route/peer/global, atomic op, cmpxchg, peer lookup). Driving the
 * generator to the end runs the function; resuming two of them alternately interleaves two
 * CPUs at exactly those points.
 */
import type { SyntaxNode } from '../csrc/parse.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';
import {
  CStruct,
  FieldRef,
  FuncRef,
  FIELD_TYPES,
  IMMUTABLE_FIELDS,
  SELF_FIELDS,
  normalise,
  sameValue,
  scalarType,
  truthy,
  type CType,
  type Site,
  type Value,
} from './values.ts';
import type { Frame, Gen, TraceEntry } from './machine.ts';
import { STUBS, CONSTANTS, CRuntimeFault, PREFER_STUB, cFault, nullFault } from './stubs.ts';

/** A compiled expression: pure (`f`) or a generator (`g`). */
export type CExpr =
  | { t: CType; pure: true; f: (fr: Frame) => Value }
  | { t: CType; pure: false; g: (fr: Frame) => Gen<Value> };

/** Statement completion: 0 = fell through, 1 = returned. */
type CStmt = (fr: Frame) => Gen<number>;

interface LValue {
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

const INTEGER_TYPES = new Set<CType>(['int', 'uint', 'u64']);

function arithType(a: CType, b: CType): CType {
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

function parseIntLiteral(text: string): { v: number; t: CType } {
  if (text.startsWith('-')) {
    const r = parseIntLiteral(text.slice(1));
    return { v: normalise(-r.v, r.t), t: r.t };
  }
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m) return { v: NaN, t: 'int' };
  const body = m[1]!;
  const v = body.startsWith('0x') || body.startsWith('0X') ? parseInt(body, 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
  const suffix = m[2]!.toLowerCase();
  let t: CType = suffix.includes('l') ? (suffix.includes('u') ? 'u64' : 'int') : suffix.includes('u') ? 'uint' : 'int';
  // A hex literal that does not fit in int is unsigned int (C11 6.4.4.1).
  if (t === 'int' && v > 0x7fffffff) t = v > 0xffffffff ? 'u64' : 'uint';
  return { v: normalise(v, t), t };
}

/** The static type a declaration gives a declarator (pointer or the base type). */
export function declaredType(typeNode: SyntaxNode | null, declarator: SyntaxNode | null): CType {
  let d = declarator;
  while (d) {
    if (d.type === 'pointer_declarator' || d.type === 'abstract_pointer_declarator') return 'ptr';
    if (d.type === 'array_declarator') return 'ptr';
    d = d.childForFieldName('declarator');
  }
  if (!typeNode) return 'int';
  if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') return 'struct';
  const name = typeNode.text;
  if (name === 'atomic_t' || name === 'atomic_long_t') return 'struct';
  return scalarType(name) ?? 'int';
}

/** The identifier a (possibly pointer / init) declarator declares. */
export function declaratorName(d: SyntaxNode | null): SyntaxNode | undefined {
  while (d && d.type !== 'identifier') {
    if (d.type === 'function_declarator' || d.type === 'array_declarator' || d.type === 'parenthesized_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChild(0);
      continue;
    }
    d = d.childForFieldName('declarator');
  }
  return d ?? undefined;
}

class Scope {
  vars = new Map<string, { slot: number; t: CType; struct: boolean }>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): { slot: number; t: CType; struct: boolean } | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

/**
 * Compiles one function definition. `publish` receives the (still empty) result before the
 * body compiles, so that a recursive call resolves to it.
 */
export function compileFunction(def: SyntaxNode, name: string, ctx: CompileContext, publish?: (f: CompiledFunction) => void): CompiledFunction {
  const c = new FunctionCompiler(def, name, ctx);
  publish?.(c.out);
  return c.compile();
}

/** Jumps to labels of one block within one execution of it (bounds backward-goto loops). */
const MAX_JUMPS = 10_000;

class FunctionCompiler {
  private nslots = 0;
  readonly out: CompiledFunction;
  private nextBlock = 0;
  private readonly blockStack: number[] = [];
  private readonly labelCodes = new Map<string, number>();
  private readonly labelBlocks = new Map<string, number>();
  private readonly gotos: { name: string; node: SyntaxNode; blocks: number[] }[] = [];

  constructor(
    private readonly def: SyntaxNode,
    private readonly name: string,
    private readonly ctx: CompileContext,
  ) {
    this.out = {
      name,
      params: [],
      ret: 'int',
      nslots: 0,
      body: undefined,
      site: this.site(def),
    };
  }

  private site(n: SyntaxNode): Site {
    return { file: this.ctx.file, line: n.startPosition.row + 1, column: n.startPosition.column + 1, func: this.name };
  }

  private err(n: SyntaxNode, what: string): PeerpropError {
    return unsupported(this.ctx, n, what);
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
      scope.vars.set(id.text, { slot: this.nslots++, t, struct: false });
      this.out.params.push({ name: id.text, t });
    }
    const body = def.childForFieldName('body');
    if (!body) throw this.err(def, 'function without a body');
    // Published before the body compiles so that recursion resolves.
    this.out.body = this.block(body, scope);
    this.out.nslots = this.nslots;
    // A goto may only leave blocks (jump to a label of an enclosing block), as kernel error paths do.
    for (const g of this.gotos) {
      const b = this.labelBlocks.get(g.name);
      if (b === undefined) throw this.err(g.node, `goto ${g.name}: no such label`);
      if (!g.blocks.includes(b)) throw this.err(g.node, `goto ${g.name} into a nested block`);
    }
    return this.out;
  }

  // ---------------------------------------------------------------- statements

  private block(node: SyntaxNode, parent: Scope): CStmt {
    const scope = new Scope(parent);
    const blockId = this.nextBlock++;
    this.blockStack.push(blockId);
    const stmts: CStmt[] = [];
    // Labels of this block: goto completion code -> index of the labelled statement.
    const labelAt = new Map<number, number>();
    try {
      this.blockChildren(node, scope, blockId, stmts, labelAt);
    } finally {
      this.blockStack.pop();
    }
    return this.blockRunner(node, stmts, labelAt);
  }

  private blockChildren(node: SyntaxNode, scope: Scope, blockId: number, stmts: CStmt[], labelAt: Map<number, number>): void {
    for (const c of node.namedChildren) {
      if (c.type === 'comment') continue;
      if (c.type === 'labeled_statement') {
        const name = c.childForFieldName('label')!.text;
        if (this.labelBlocks.has(name)) throw this.err(c, `label ${name} defined twice`);
        this.labelBlocks.set(name, blockId);
        labelAt.set(this.labelCode(name), stmts.length);
        const inner = c.namedChildren.find((x) => x.type !== 'statement_identifier' && x.type !== 'comment');
        stmts.push(inner ? this.stmtOrDeferred(inner, scope) : function* () {
          return 0;
        });
        continue;
      }
      stmts.push(this.stmtOrDeferred(c, scope));
    }
  }

  private blockRunner(node: SyntaxNode, stmts: CStmt[], labelAt: Map<number, number>): CStmt {
    const n = stmts.length;
    if (labelAt.size === 0) {
      return function* (fr) {
        for (let i = 0; i < n; i++) {
          const r = yield* stmts[i]!(fr);
          if (r) return r;
        }
        return 0;
      };
    }
    const site = this.site(node);
    return function* (fr) {
      let jumps = 0;
      for (let i = 0; i < n; ) {
        const r = yield* stmts[i]!(fr);
        if (r === 0) {
          i++;
          continue;
        }
        const at = r >= 2 ? labelAt.get(r) : undefined;
        if (at === undefined) return r; // a return, or a goto to a label of an enclosing block
        // A backward goto is a loop: bound it so that a non-terminating one is an error, not a hang.
        if (++jumps > MAX_JUMPS) throw cFault(`more than ${MAX_JUMPS} jumps to labels of this block (a goto loop that does not end?)`, site);
        i = at;
      }
      return 0;
    };
  }

  /** Completion code of `goto name` (>= 2; 0 = fell through, 1 = returned). */
  private labelCode(name: string): number {
    let c = this.labelCodes.get(name);
    if (c === undefined) {
      c = 2 + this.labelCodes.size;
      this.labelCodes.set(name, c);
    }
    return c;
  }

  /** A statement; in lenient mode an uncompilable one becomes a run-time error at its place. */
  private stmtOrDeferred(node: SyntaxNode, scope: Scope): CStmt {
    if (!this.ctx.defer) return this.stmt(node, scope);
    try {
      return this.stmt(node, scope);
    } catch (e) {
      if (!(e instanceof PeerpropError) || e instanceof CRuntimeFault) throw e;
      if (node.type === 'declaration') {
        // Keep the names declared, so later statements fail only where they use them.
        for (const d of node.childrenForFieldName('declarator')) {
          const id = declaratorName(d.type === 'init_declarator' ? d.childForFieldName('declarator') : d);
          if (id && !scope.vars.has(id.text)) scope.vars.set(id.text, { slot: this.nslots++, t: 'int', struct: false });
        }
      }
      this.ctx.defer(e);
      const err = e;
      return function* () {
        throw err;
      };
    }
  }

  private stmt(node: SyntaxNode, scope: Scope): CStmt {
    const site = this.site(node);
    switch (node.type) {
      case 'compound_statement':
        return this.block(node, scope);
      case 'expression_statement': {
        const e = node.namedChildren.find((c) => c.type !== 'comment');
        if (!e) return function* () {
          return 0;
        };
        const x = this.expr(e, scope);
        if (x.pure) {
          const f = x.f;
          return function* (fr) {
            fr.m.lastSite = site;
            if (fr.m.trace) fr.m.trace.push({ site, kind: 'stmt' });
            f(fr);
            return 0;
          };
        }
        const g = x.g;
        return function* (fr) {
          fr.m.lastSite = site;
          if (fr.m.trace) fr.m.trace.push({ site, kind: 'stmt' });
          yield* g(fr);
          return 0;
        };
      }
      case 'declaration':
        return this.declaration(node, scope);
      case 'if_statement': {
        const condNode = node.childForFieldName('condition')!;
        const cond = this.expr(condNode, scope);
        const then = this.stmtOrDeferred(node.childForFieldName('consequence')!, new Scope(scope));
        const altClause = node.childForFieldName('alternative');
        let alt: CStmt | undefined;
        if (altClause) {
          const s = altClause.type === 'else_clause' ? altClause.namedChildren.find((c) => c.type !== 'comment') : altClause;
          if (s) alt = this.stmtOrDeferred(s, new Scope(scope));
        }
        return function* (fr) {
          fr.m.lastSite = site;
          // Traced at the start (execution order); the outcome is filled in once known.
          const entry: TraceEntry | undefined = fr.m.trace ? { site, kind: 'if-false' } : undefined;
          if (entry) fr.m.trace!.push(entry);
          const c = cond.pure ? cond.f(fr) : yield* cond.g(fr);
          const taken = truthy(c);
          if (entry && taken) entry.kind = 'if-true';
          if (taken) return yield* then(fr);
          if (alt) return yield* alt(fr);
          return 0;
        };
      }
      case 'return_statement': {
        const e = node.namedChildren.find((c) => c.type !== 'comment');
        const rt = this.out.ret;
        if (!e) {
          return function* (fr) {
            fr.m.lastSite = site;
            if (fr.m.trace) fr.m.trace.push({ site, kind: 'return' });
            fr.ret = 0;
            return 1;
          };
        }
        const x = this.expr(e, scope);
        return function* (fr) {
          fr.m.lastSite = site;
          if (fr.m.trace) fr.m.trace.push({ site, kind: 'return' });
          const v = x.pure ? x.f(fr) : yield* x.g(fr);
          fr.ret = typeof v === 'number' ? normalise(v, rt) : v;
          return 1;
        };
      }
      case ';':
        return function* () {
          return 0;
        };
      case 'goto_statement': {
        const name = node.childForFieldName('label')!.text;
        const code = this.labelCode(name);
        this.gotos.push({ name, node, blocks: [...this.blockStack] });
        return function* (fr) {
          fr.m.lastSite = site;
          if (fr.m.trace) fr.m.trace.push({ site, kind: 'stmt' });
          return code;
        };
      }
      case 'labeled_statement':
        throw this.err(node, 'label on a statement that is not directly in a block');
      case 'for_statement':
      case 'while_statement':
      case 'do_statement':
        throw this.err(node, `loop (${node.type.replace('_statement', '')})`);
      case 'switch_statement':
        throw this.err(node, 'switch');
      case 'break_statement':
      case 'continue_statement':
        throw this.err(node, node.type.replace('_statement', ''));
      case 'ERROR':
        throw this.err(node, `code the C parser could not read (a macro it does not know?): ${node.text.split('\n')[0]!.slice(0, 40)}`);
      default:
        if (node.type.startsWith('preproc_')) throw this.err(node, 'preprocessor conditional inside a function');
        throw this.err(node, `statement ${node.type}`);
    }
  }

  private declaration(node: SyntaxNode, scope: Scope): CStmt {
    const typeNode = node.childForFieldName('type');
    const inits: CStmt[] = [];
    for (const d of node.childrenForFieldName('declarator')) {
      const isInit = d.type === 'init_declarator';
      const decl = isInit ? d.childForFieldName('declarator') : d;
      const t = declaredType(typeNode, decl);
      const id = declaratorName(decl);
      if (!id) throw this.err(d, 'declarator');
      if (decl?.type === 'array_declarator' || decl?.type === 'function_declarator') throw this.err(d, 'local array or function declaration');
      const slot = this.nslots++;
      const isStruct = t === 'struct';
      const valueNode = isInit ? d.childForFieldName('value') : null;
      // The initialiser sees the variables declared before it, not this one.
      const init = valueNode ? this.expr(valueNode, scope) : undefined;
      scope.vars.set(id.text, { slot, t, struct: isStruct });
      const site = this.site(d);
      const tag = typeNode?.text ?? 'struct';
      if (isStruct) {
        if (init) throw this.err(valueNode!, 'struct initialiser');
        const label = `${this.name}.${id.text}`;
        const tagName = tag.replace(/^struct\s+/, '');
        inits.push(function* (fr) {
          fr.s[slot] = new CStruct(tagName, tagName === 'atomic_t' ? { counter: 0 } : Object.create(null), false, label);
          return 0;
        });
      } else if (init) {
        inits.push(function* (fr) {
          fr.m.lastSite = site;
          if (fr.m.trace) fr.m.trace.push({ site, kind: 'stmt' });
          const v = init.pure ? init.f(fr) : yield* init.g(fr);
          fr.s[slot] = typeof v === 'number' ? normalise(v, t) : v;
          return 0;
        });
      } else {
        inits.push(function* (fr) {
          fr.s[slot] = t === 'ptr' ? null : 0;
          return 0;
        });
      }
    }
    if (inits.length === 1) return inits[0]!;
    return function* (fr) {
      for (const s of inits) yield* s(fr);
      return 0;
    };
  }

  // ---------------------------------------------------------------- expressions

  private expr(node: SyntaxNode, scope: Scope): CExpr {
    switch (node.type) {
      case 'number_literal': {
        const { v, t } = parseIntLiteral(node.text);
        if (Number.isNaN(v)) throw this.err(node, `number literal ${node.text}`);
        return { t, pure: true, f: () => v };
      }
      case 'char_literal': {
        const m = /^'(.)'$/.exec(node.text);
        if (!m) throw this.err(node, `character literal ${node.text}`);
        const v = m[1]!.charCodeAt(0);
        return { t: 'int', pure: true, f: () => v };
      }
      case 'null':
        return { t: 'ptr', pure: true, f: () => null };
      case 'true':
        return { t: 'int', pure: true, f: () => 1 };
      case 'false':
        return { t: 'int', pure: true, f: () => 0 };
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c.type !== 'comment');
        if (!inner) throw this.err(node, 'empty parentheses');
        return this.expr(inner, scope);
      }
      case 'identifier':
        return this.identifier(node, scope);
      case 'field_expression':
      case 'pointer_expression':
        if (node.type === 'pointer_expression' && node.childForFieldName('operator')?.type === '&') {
          return this.lvalue(node.childForFieldName('argument')!, scope).addr;
        }
        return this.lvalue(node, scope).load;
      case 'unary_expression':
        return this.unary(node, scope);
      case 'binary_expression':
        return this.binary(node, scope);
      case 'assignment_expression':
        return this.assignment(node, scope);
      case 'update_expression':
        return this.update(node, scope);
      case 'conditional_expression':
        return this.conditional(node, scope);
      case 'cast_expression':
        return this.cast(node, scope);
      case 'call_expression':
        return this.call(node, scope);
      case 'comma_expression': {
        const l = this.expr(node.childForFieldName('left')!, scope);
        const r = this.expr(node.childForFieldName('right')!, scope);
        return {
          t: r.t,
          pure: false,
          g: function* (fr) {
            if (l.pure) l.f(fr);
            else yield* l.g(fr);
            return r.pure ? r.f(fr) : yield* r.g(fr);
          },
        };
      }
      case 'sizeof_expression':
        throw this.err(node, 'sizeof');
      case 'subscript_expression':
        throw this.err(node, 'array subscript');
      case 'string_literal':
      case 'concatenated_string':
        throw this.err(node, 'string literal');
      case 'compound_literal_expression':
        throw this.err(node, 'compound literal');
      case 'ERROR':
        throw this.err(node, `syntax error near "${node.text.slice(0, 30)}"`);
      default:
        throw this.err(node, `expression ${node.type}`);
    }
  }

  private identifier(node: SyntaxNode, scope: Scope): CExpr {
    const name = node.text;
    const local = scope.lookup(name);
    if (local) {
      const s = local.slot;
      return { t: local.t, pure: true, f: (fr) => fr.s[s]! };
    }
    if (name === 'NULL') return { t: 'ptr', pure: true, f: () => null };
    // The kernel's clock: the model's time in ticks.
    if (name === 'jiffies' && !this.ctx.global(name)) return { t: 'u64', pure: true, f: (fr) => fr.m.now };
    const gt = this.ctx.global(name);
    if (gt !== undefined) return this.lvalue(node, scope).load;
    const def = this.ctx.define(name);
    if (def !== undefined) return { t: 'int', pure: true, f: () => def };
    if (name in CONSTANTS) {
      const v = CONSTANTS[name]!;
      return { t: 'int', pure: true, f: () => v };
    }
    if (this.ctx.fn(name) || name in STUBS) {
      const ref = new FuncRef(name);
      return { t: 'ptr', pure: true, f: () => ref };
    }
    throw this.err(node, `unknown identifier ${name}`);
  }

  /** An assignable (or addressable) expression. */
  private lvalue(node: SyntaxNode, scope: Scope): LValue {
    const site = this.site(node);
    if (node.type === 'parenthesized_expression') {
      const inner = node.namedChildren.find((c) => c.type !== 'comment');
      if (inner) return this.lvalue(inner, scope);
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
      const gt = this.ctx.global(name);
      if (gt !== undefined) return this.fieldLvalue({ t: 'ptr', pure: true, f: (fr) => fr.m.globals }, name, gt, site, name);
      throw this.err(node, `cannot assign to ${name}`);
    }
    if (node.type === 'field_expression') {
      const base = this.expr(node.childForFieldName('argument')!, scope);
      const field = node.childForFieldName('field')!.text;
      return this.fieldLvalue(base, field, FIELD_TYPES[field] ?? 'int', site, node.text);
    }
    if (node.type === 'pointer_expression' && node.childForFieldName('operator')?.type === '*') {
      const p = this.expr(node.childForFieldName('argument')!, scope);
      return this.derefLvalue(p, site);
    }
    if (node.type === 'call_expression') {
      // ACCESS_ONCE(x) / READ_ONCE(x) as an lvalue: the access itself is x.
      const fnName = node.childForFieldName('function')?.text;
      const args = node.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      if ((fnName === 'ACCESS_ONCE' || fnName === 'READ_ONCE') && args.length === 1) return this.lvalue(args[0]!, scope);
    }
    if (node.type === 'cast_expression') throw this.err(node, 'assignment through a cast');
    throw this.err(node, `not an lvalue: ${node.type}`);
  }

  private fieldLvalue(base: CExpr, field: string, t: CType, site: Site, text: string): LValue {
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

  private derefLvalue(p: CExpr, site: Site): LValue {
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

  private unary(node: SyntaxNode, scope: Scope): CExpr {
    const op = node.childForFieldName('operator')!.type;
    const a = this.expr(node.childForFieldName('argument')!, scope);
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
        throw this.err(node, `unary operator ${op}`);
    }
    if (op !== '!' && !INTEGER_TYPES.has(a.t)) throw this.err(node, `unary ${op} on a pointer`);
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

  private binary(node: SyntaxNode, scope: Scope): CExpr {
    const op = node.childForFieldName('operator')!.type;
    const l = this.expr(node.childForFieldName('left')!, scope);
    const r = this.expr(node.childForFieldName('right')!, scope);
    if (op === '&&' || op === '||') {
      const and = op === '&&';
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
          // Short-circuit: the right operand (and its shared accesses) only runs when needed.
          if (and ? !a : a) return and ? 0 : 1;
          return truthy(r.pure ? r.f(fr) : yield* r.g(fr)) ? 1 : 0;
        },
      };
    }
    const fn = this.binop(node, op, l.t, r.t);
    const t: CType = ['==', '!=', '<', '>', '<=', '>='].includes(op) ? 'int' : arithType(l.t, r.t);
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

  private binop(node: SyntaxNode, op: string, lt: CType, rt: CType): (a: Value, b: Value) => Value {
    const site = this.site(node);
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
        if (isPtr) throw this.err(node, `relational ${op} on pointers`);
        return (a, b) => {
          const [x, y] = cmpOperands(a, b, unsigned);
          return (op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y) ? 1 : 0;
        };
      }
    }
    if (isPtr) throw this.err(node, `pointer arithmetic (${op})`);
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
        throw this.err(node, `binary operator ${op}`);
    }
  }

  private assignment(node: SyntaxNode, scope: Scope): CExpr {
    const op = node.childForFieldName('operator')!.type;
    const lv = this.lvalue(node.childForFieldName('left')!, scope);
    const r = this.expr(node.childForFieldName('right')!, scope);
    const t = lv.t;
    const site = this.site(node);
    if (op === '=') {
      return {
        t,
        pure: false,
        g: function* (fr) {
          const v0 = r.pure ? r.f(fr) : yield* r.g(fr);
          const v = typeof v0 === 'number' ? normalise(v0, t) : v0;
          yield* lv.store(fr, v, site);
          return v;
        },
      };
    }
    const bop = op.slice(0, -1);
    const fn = this.binop(node, bop, t, r.t);
    const load = lv.load;
    return {
      t,
      pure: false,
      g: function* (fr) {
        // Compound assignment: a read and a separate write, as the compiled code does
        // (another CPU may run in between unless the code uses an atomic op).
        const a = load.pure ? load.f(fr) : yield* load.g(fr);
        const b = r.pure ? r.f(fr) : yield* r.g(fr);
        const v0 = fn(a, b);
        const v = typeof v0 === 'number' ? normalise(v0, t) : v0;
        yield* lv.store(fr, v, site);
        return v;
      },
    };
  }

  private update(node: SyntaxNode, scope: Scope): CExpr {
    const op = node.childForFieldName('operator')!.type;
    const arg = node.childForFieldName('argument')!;
    const prefix = node.firstChild?.type === op;
    const lv = this.lvalue(arg, scope);
    const t = lv.t;
    if (!INTEGER_TYPES.has(t)) throw this.err(node, `${op} on a pointer`);
    const d = op === '++' ? 1 : -1;
    const site = this.site(node);
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

  private conditional(node: SyntaxNode, scope: Scope): CExpr {
    const c = this.expr(node.childForFieldName('condition')!, scope);
    const consequence = node.childForFieldName('consequence');
    if (!consequence) {
      // GNU `a ?: b`: a (evaluated once) when non-zero, else b.
      const b0 = this.expr(node.childForFieldName('alternative')!, scope);
      const t0: CType = c.t === 'ptr' || b0.t === 'ptr' ? 'ptr' : arithType(c.t, b0.t);
      return {
        t: t0,
        pure: false,
        g: function* (fr) {
          const v = c.pure ? c.f(fr) : yield* c.g(fr);
          if (truthy(v)) return typeof v === 'number' && t0 !== 'ptr' ? normalise(v, t0) : v;
          const w = b0.pure ? b0.f(fr) : yield* b0.g(fr);
          return typeof w === 'number' && t0 !== 'ptr' ? normalise(w, t0) : w;
        },
      };
    }
    const a = this.expr(consequence, scope);
    const b = this.expr(node.childForFieldName('alternative')!, scope);
    const t = a.t === 'ptr' || b.t === 'ptr' ? 'ptr' : arithType(a.t, b.t);
    const conv = (v: Value): Value => (typeof v === 'number' && t !== 'ptr' ? normalise(v, t) : v);
    if (c.pure && a.pure && b.pure) {
      const cf = c.f;
      const af = a.f;
      const bf = b.f;
      return { t, pure: true, f: (fr) => conv(truthy(cf(fr)) ? af(fr) : bf(fr)) };
    }
    return {
      t,
      pure: false,
      g: function* (fr) {
        const cv = c.pure ? c.f(fr) : yield* c.g(fr);
        const e = truthy(cv) ? a : b;
        return conv(e.pure ? e.f(fr) : yield* e.g(fr));
      },
    };
  }

  private cast(node: SyntaxNode, scope: Scope): CExpr {
    const td = node.childForFieldName('type')!;
    const t = declaredType(td.childForFieldName('type'), td.childForFieldName('declarator'));
    const v = this.expr(node.childForFieldName('value')!, scope);
    if (t === 'ptr') {
      // Pointer casts keep the object: (struct rtable *)dst is the same struct as dst.
      return v.pure ? { t, pure: true, f: v.f } : { t, pure: false, g: v.g };
    }
    if (t === 'struct') throw this.err(node, 'cast to a struct');
    if (t === 'void') {
      return v.pure ? { t, pure: true, f: () => 0 } : { t, pure: false, g: function* (fr) { yield* v.g(fr); return 0; } };
    }
    const conv = (x: Value): Value => {
      if (typeof x === 'number') return normalise(x, t);
      throw cFault('cast of a pointer to an integer', this.site(node));
    };
    if (v.pure) {
      const f = v.f;
      return { t, pure: true, f: (fr) => conv(f(fr)) };
    }
    const g = v.g;
    return {
      t,
      pure: false,
      g: function* (fr) {
        return conv(yield* g(fr));
      },
    };
  }

  private call(node: SyntaxNode, scope: Scope): CExpr {
    const fnNode = node.childForFieldName('function')!;
    const argNodes = node.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
    const site = this.site(node);
    if (fnNode.type !== 'identifier') throw this.err(node, 'call through a function pointer');
    const name = fnNode.text;
    if (scope.lookup(name)) throw this.err(node, `call through the function pointer ${name}`);
    const arity = (n: number): void => {
      if (argNodes.length !== n) throw this.err(node, `${name}() with ${argNodes.length} arguments (expected ${n})`);
    };
    // Compiler-level macros.
    if (name === 'likely' || name === 'unlikely') {
      arity(1);
      const a = this.expr(argNodes[0]!, scope);
      if (a.pure) {
        const f = a.f;
        return { t: 'int', pure: true, f: (fr) => (truthy(f(fr)) ? 1 : 0) };
      }
      const g = a.g;
      return { t: 'int', pure: false, g: function* (fr) { return truthy(yield* g(fr)) ? 1 : 0; } };
    }
    if (name === 'ACCESS_ONCE' || name === 'READ_ONCE') {
      arity(1);
      return this.expr(argNodes[0]!, scope);
    }
    if (name === 'WRITE_ONCE') {
      arity(2);
      const lv = this.lvalue(argNodes[0]!, scope);
      const r = this.expr(argNodes[1]!, scope);
      const t = lv.t;
      return {
        t: 'void',
        pure: false,
        g: function* (fr) {
          const v0 = r.pure ? r.f(fr) : yield* r.g(fr);
          yield* lv.store(fr, typeof v0 === 'number' ? normalise(v0, t) : v0, site);
          return 0;
        },
      };
    }
    const args = argNodes.map((a) => this.expr(a, scope));
    const evalArgs = function* (fr: Frame): Gen<Value[]> {
      const vs: Value[] = new Array(args.length);
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        vs[i] = a.pure ? a.f(fr) : yield* a.g(fr);
      }
      return vs;
    };
    const target = PREFER_STUB.has(name) && STUBS[name] ? undefined : this.ctx.fn(name);
    if (target) {
      if (target.params.length !== args.length) throw this.err(node, `${name}() with ${args.length} arguments (its definition takes ${target.params.length})`);
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
    if (!stub) throw this.err(node, `call to ${name}(): no definition in this file and no stub for it`);
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
}

function cmpEq(a: number, b: number, unsigned: boolean): boolean {
  return unsigned ? a >>> 0 === b >>> 0 : a === b;
}

/** Runs a compiled function as a generator on machine m. */
export function* callCompiled(fn: CompiledFunction, args: Value[], m: import('./machine.ts').Machine): Gen<Value> {
  const fr: Frame = { s: new Array(fn.nslots), ret: 0, m };
  for (let i = 0; i < fn.params.length; i++) {
    const v = args[i]!;
    fr.s[i] = typeof v === 'number' ? normalise(v, fn.params[i]!.t) : v;
  }
  if (!fn.body) throw new PeerpropError(`${fn.name}: called before it was compiled`, ExitCode.BadInput, fn.site);
  yield* fn.body(fr);
  return fr.ret;
}
