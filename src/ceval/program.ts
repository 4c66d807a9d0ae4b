/**
 * A C translation unit prepared for evaluation: parsed once, functions compiled on first
 * use and cached, file-scope variables instantiated per Machine. Programs are cached by
 * source text, so repeated runs (every sequence of a differential check) never re-parse or
 * re-walk the syntax tree.
 */
import { parseC, listFunctions, type SyntaxNode, type CFunction } from '../csrc/parse.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';
import { compileFunction, callCompiled, declaredType, declaratorName, unsupported, type CompiledFunction, type CompileContext } from './compile.ts';
import { Machine, type Gen, type Access } from './machine.ts';
import { CStruct, normalise, type CType, type Value } from './values.ts';
import { CONSTANTS } from './stubs.ts';

/**
 * What the evaluator consulted of a file, so that a cache of results computed on it can be keyed
 * on exactly that: every name it looked up (found or not), every pattern it tested against the
 * whole text (with the answer), and whether anything read the whole text. A program is shared by
 * every run on the same text, so this only grows: always a superset of what one run read.
 */
export class ProgramReads {
  readonly names = new Set<string>();
  readonly tests = new Map<string, boolean>();
  wholeText = false;
}

interface GlobalDecl {
  name: string;
  t: CType;
  /** The C type as written (e.g. 'atomic_t', 'u32'). */
  typeText: string;
  node: SyntaxNode;
  value: SyntaxNode | null;
}

export class CProgram implements CompileContext {
  readonly functions = new Map<string, CFunction>();
  private readonly compiled = new Map<string, CompiledFunction>();
  private readonly globalDecls = new Map<string, GlobalDecl>();
  private readonly defines = new Map<string, SyntaxNode>();
  private readonly brokenGlobals = new Map<string, SyntaxNode>();
  /** Globals referenced by compiled code, in first-use order. */
  readonly usedGlobals = new Map<string, GlobalDecl>();

  /** Lenient programs: constructs not compiled (raised only if executed), in the order met. */
  readonly deferred: PeerpropError[] = [];
  readonly defer: ((e: PeerpropError) => void) | undefined;
  /** What the evaluator consulted of the file (see ProgramReads). */
  readonly reads = new ProgramReads();

  constructor(
    private readonly text: string,
    readonly file: string,
    opts: { lenient?: boolean } = {},
  ) {
    this.defer = opts.lenient ? (e) => this.deferred.push(e) : undefined;
    const tree = parseC(blankAttributes(text));
    for (const f of listFunctions(tree)) if (!this.functions.has(f.name)) this.functions.set(f.name, f);
    const visit = (n: SyntaxNode): void => {
      for (const c of n.namedChildren) {
        if (c.type === 'declaration') this.addGlobal(c);
        else if (c.type === 'preproc_def') {
          const name = c.childForFieldName('name')?.text;
          const value = c.childForFieldName('value');
          if (name && value && !this.defines.has(name)) this.defines.set(name, value);
        } else if (c.type.startsWith('preproc_')) visit(c);
      }
    };
    visit(tree.rootNode);
  }

  private addGlobal(decl: SyntaxNode): void {
    const typeNode = decl.childForFieldName('type');
    for (const d of decl.childrenForFieldName('declarator')) {
      const isInit = d.type === 'init_declarator';
      const inner = isInit ? d.childForFieldName('declarator') : d;
      let probe: SyntaxNode | null = inner;
      let isFunction = false;
      while (probe) {
        if (probe.type === 'function_declarator') isFunction = true;
        probe = probe.childForFieldName('declarator');
      }
      if (isFunction) continue;
      const id = declaratorName(inner);
      if (!id || this.globalDecls.has(id.text)) continue;
      // A declaration the parser had to repair (an unknown macro in it) may have lost its
      // initialiser: using it is an error rather than a silent 0.
      if (decl.hasError) {
        this.brokenGlobals.set(id.text, decl);
        continue;
      }
      this.globalDecls.set(id.text, {
        name: id.text,
        t: declaredType(typeNode, inner),
        typeText: typeNode?.text ?? 'int',
        node: d,
        value: isInit ? d.childForFieldName('value') : null,
      });
    }
  }

  /** The whole text: a reader of it depends on all of it (recorded, so caches key on the whole file). */
  get source(): string {
    this.reads.wholeText = true;
    return this.text;
  }

  /** Tests a pattern against the whole text, recording the pattern and its answer. */
  matches(re: RegExp): boolean {
    const hit = re.test(this.text);
    re.lastIndex = 0;
    this.reads.tests.set(`${re.flags}/${re.source}`, hit);
    return hit;
  }

  /**
   * Everything `name` resolves to in this file, as the lookups below see it (function, file-scope
   * variable, unreadable declaration, #define, or nothing), with the line spans of those
   * definitions. Equal texts mean equal answers to every lookup of `name`. Not itself recorded.
   */
  resolution(name: string): { text: string; spans: { start: number; end: number }[] } {
    const nodes: [string, SyntaxNode | undefined][] = [
      ['f', this.functions.get(name)?.node],
      ['g', this.globalDecls.get(name)?.node],
      ['b', this.brokenGlobals.get(name)],
      ['d', this.defines.get(name)],
    ];
    const g = this.globalDecls.get(name);
    const text = nodes.map(([k, n]) => `${k}:${n ? n.text : '-'}`).join('\0') + (g ? `\0t:${g.typeText}` : '');
    const spans = nodes.flatMap(([, n]) => (n ? [{ start: n.startPosition.row + 1, end: n.endPosition.row + 1 }] : []));
    return { text, spans };
  }

  hasFunction(name: string): boolean {
    this.reads.names.add(name);
    return this.functions.has(name);
  }

  /** CompileContext: the compiled function, compiling it (and what it calls) on first use. */
  fn(name: string): CompiledFunction | undefined {
    this.reads.names.add(name);
    const done = this.compiled.get(name);
    if (done) return done;
    const def = this.functions.get(name);
    if (!def) return undefined;
    try {
      return compileFunction(def.node, name, this, (f) => this.compiled.set(name, f));
    } catch (e) {
      this.compiled.delete(name);
      throw e;
    }
  }

  /** Compiles the named functions now, so that unsupported constructs are reported before any run. */
  prepare(names: readonly string[]): void {
    for (const n of names) {
      if (!this.fn(n)) throw new PeerpropError(`${n}() is not defined in ${this.file}`, ExitCode.BadInput, { file: this.file });
    }
  }

  global(name: string): CType | undefined {
    this.reads.names.add(name);
    const broken = this.brokenGlobals.get(name);
    if (broken) throw unsupported(this, broken, `declaration of ${name} that the C parser could not read (an unknown macro in it?)`);
    const g = this.globalDecls.get(name);
    if (!g) return undefined;
    if (!this.usedGlobals.has(name)) {
      this.initialValue(g); // reports an unsupported initialiser at compile time
      this.usedGlobals.set(name, g);
    }
    return g.t === 'struct' ? 'ptr' : g.t;
  }

  define(name: string): number | undefined {
    this.reads.names.add(name);
    const v = this.defines.get(name);
    if (!v) return undefined;
    const text = v.text.trim().replace(/^\((.*)\)$/, '$1');
    return /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(text) ? Number.parseInt(text, text.startsWith('0x') || text.startsWith('0X') ? 16 : 10) : undefined;
  }

  /** 1-based line of a file-scope variable's declaration. */
  globalLine(name: string): number | undefined {
    this.reads.names.add(name);
    const g = this.globalDecls.get(name);
    return g ? g.node.startPosition.row + 1 : undefined;
  }

  /** The global's type as written, e.g. 'atomic_t' or 'u32'; undefined when the file has no such global. */
  globalType(name: string): string | undefined {
    this.reads.names.add(name);
    return this.globalDecls.get(name)?.typeText;
  }

  private constant(n: SyntaxNode): number {
    switch (n.type) {
      case 'number_literal': {
        const v = Number.parseInt(n.text.replace(/[uUlL]+$/, ''), n.text.startsWith('0x') || n.text.startsWith('0X') ? 16 : 10);
        if (!Number.isNaN(v)) return v;
        break;
      }
      case 'parenthesized_expression':
        return this.constant(n.namedChild(0)!);
      case 'unary_expression': {
        const op = n.childForFieldName('operator')!.type;
        const a = this.constant(n.childForFieldName('argument')!);
        if (op === '-') return -a;
        if (op === '~') return ~a;
        if (op === '!') return a ? 0 : 1;
        break;
      }
      case 'binary_expression': {
        const a = this.constant(n.childForFieldName('left')!);
        const b = this.constant(n.childForFieldName('right')!);
        switch (n.childForFieldName('operator')!.type) {
          case '+': return a + b;
          case '-': return a - b;
          case '*': return a * b;
          case '/': if (b) return Math.trunc(a / b); break;
          case '<<': return a << b;
          case '>>': return a >> b;
          case '|': return a | b;
          case '&': return a & b;
        }
        break;
      }
      case 'identifier': {
        const d = this.define(n.text);
        if (d !== undefined) return d;
        if (n.text in CONSTANTS) return CONSTANTS[n.text]!;
        break;
      }
      case 'null':
        return 0;
    }
    throw unsupported(this, n, `initialiser ${n.text.slice(0, 40)}`);
  }

  /** The value a global starts with (a fresh CStruct for struct types). */
  private initialValue(g: GlobalDecl): Value {
    if (g.t === 'struct') {
      const tag = g.typeText.replace(/^struct\s+/, '');
      if (tag === 'atomic_t') {
        let counter = 0;
        if (g.value) {
          const v = g.value;
          const fn = v.type === 'call_expression' ? v.childForFieldName('function')?.text : undefined;
          if (fn !== 'ATOMIC_INIT') throw unsupported(this, v, `atomic_t initialiser ${v.text.slice(0, 40)}`);
          counter = this.constant(v.childForFieldName('arguments')!.namedChild(0)!) | 0;
        }
        return new CStruct('atomic_t', { counter }, true, g.name);
      }
      if (g.value) throw unsupported(this, g.value, `struct initialiser of ${g.name}`);
      return new CStruct(tag, Object.create(null), true, g.name);
    }
    if (g.t === 'ptr') {
      if (g.value && this.constant(g.value) !== 0) throw unsupported(this, g.value, 'non-NULL pointer initialiser');
      return null;
    }
    return normalise(g.value ? this.constant(g.value) : 0, g.t);
  }

  /** A fresh memory with this program's (used) globals at their initial values. */
  newMachine(): Machine {
    const m = new Machine();
    const emb = new Set<string>();
    for (const g of this.usedGlobals.values()) {
      m.globals.f[g.name] = this.initialValue(g);
      if (g.t === 'struct') emb.add(g.name);
    }
    m.globals.emb = emb;
    return m;
  }

  /** Runs a compiled function as a generator (yields at each shared-memory access). */
  run(name: string, args: Value[], m: Machine): Gen<Value> {
    const f = this.fn(name);
    if (!f) throw new PeerpropError(`${name}() is not defined in ${this.file}`, ExitCode.BadInput, { file: this.file });
    return callCompiled(f, args, m);
  }

  /** Runs a function to completion (no other CPU). */
  call(name: string, args: Value[], m: Machine): Value {
    return drive(this.run(name, args, m));
  }
}

/**
 * Kernel attribute macros tree-sitter does not know (`static int x __read_mostly = 5;` parses
 * as a declaration without its initialiser). They carry no meaning for the evaluator: replaced
 * by blanks of the same length, so lines and columns stay those of the file.
 */
const ATTRIBUTE_MACROS = /\b(__read_mostly|__cacheline_aligned_in_smp|__cacheline_aligned|__initdata|__initconst|__init|__exit|__rcu|__percpu|__maybe_unused|__always_unused|__used|__must_check|__iomem|__user|__kernel|__force|__bitwise)\b/g;

export function blankAttributes(source: string): string {
  return source.replace(ATTRIBUTE_MACROS, (m) => ' '.repeat(m.length));
}

/** Runs a generator to its end, ignoring scheduling points. */
export function drive<T>(g: Generator<Access, T, void>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

const cache = new Map<string, CProgram>();
const CACHE_MAX = 32;

function cacheKey(source: string, file: string, opts: { lenient?: boolean }): string {
  return `${opts.lenient ? 'L' : 'S'}\0${file}\0${source}`;
}

/** The cached program of this text, if one is cached (never builds one). */
export function peekProgram(source: string, file: string, opts: { lenient?: boolean } = {}): CProgram | undefined {
  return cache.get(cacheKey(source, file, opts));
}

/**
 * The prepared program for this source text (cached: the same text is parsed once).
 * `lenient`: statements the evaluator cannot compile raise their error only if executed, and
 * are listed in `deferred` (verify reports them); default: the error is thrown at compile time.
 */
export function loadProgram(source: string, file: string, opts: { lenient?: boolean } = {}): CProgram {
  const key = cacheKey(source, file, opts);
  let p = cache.get(key);
  if (p) return p;
  p = new CProgram(source, file, opts);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, p);
  return p;
}
