/**
 * Protocol facts of the route <-> inetpeer generation-ID mechanism, read from a C
 * syntax tree (DESIGN.md: "C source reader ... protocol facts").
 *
 * The extractor knows the mechanism's vocabulary (a global `__*peer_genid`, a route
 * field `*peer_genid`, an accessor, `*_bind_peer`, `cmpxchg(&x->peer, ...)`, the
 * fnhe-era names) but not any particular kernel version: everything else comes from
 * the code, so it works on fixture trees, real kernel trees and hunk fragments.
 * tree-sitter ERROR regions never stop it; a function it cannot see whole is listed
 * in `unparsed`, never dropped.
 */

import type { SyntaxNode, Tree } from './parse.ts';
import { parseC } from './parse.ts';
import type {
  FactLocation,
  PathCondition,
  GenidAccess,
  GenidDecl,
  FieldDecl,
  StampFact,
  ReturnFact,
  FunctionFacts,
  UnparsedFunction,
  ProtocolFacts,
  ExtractOptions,
} from './fact-types.ts';
import { oneLine, same, unwrap, calleeName, callArgs, binaryOperator, addressOf, conditionExpr, descendants, DECLARATIONS, ERRORS, FIELD_LISTS, IFS, BINARIES } from './syntax.ts';
import { pathTerms, conjunction } from './conditions.ts';
import { findFunctions, textualDefinitions, signatureOf, type FoundFunction } from './definitions.ts';

export type * from './fact-types.ts';
export { conjunction, negateText, isPrimary } from './conditions.ts';

// ---------------------------------------------------------------------------
// Vocabulary of the mechanism (names, not versions)

/** Global genid: `__rt_peer_genid`, `__rt6_peer_genid`. */
const GLOBAL_GENID = /^_*\w*peer_genid$/;
/** Route field: `rt_peer_genid`, `rt6i_peer_genid`. */
const FIELD_GENID = /peer_genid$/;
/** Accessors known by name even when their definition is elsewhere. */
const KNOWN_ACCESSOR = /^rt6?_peer_genid$/;
const BIND_PEER = /^\w*_bind_peer$/;
const CMPXCHG = /^(try_)?cmpxchg(_relaxed|_acquire|_release|64)?$/;
const ATOMIC_WRITE = /^atomic(64)?_(inc|dec|add|sub|set|inc_return|add_return|dec_return|sub_return|xchg|cmpxchg|fetch_add|fetch_inc)$/;
const ATOMIC_READ = /^atomic(64)?_read$/;
const READ_ONCE = /^(READ_ONCE|ACCESS_ONCE)$/;
const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);
const DST_CHECK = /dst_check$|validate_peer$/;
const EXPIRY = /\brt_is_expired\s*\(/;
/** A function whose text has none of these cannot hold a fact (besides dst_check's returns). */
const RELEVANT = /peer_genid|_bind_peer|cmpxchg|fnhe|DST_OBSOLETE_|rt_genid/;
const FNHE_WORDS = /\b(fib_nh_exception|fnhe_genid|update_or_create_fnhe|fnhe_hashfun|rt_genid_bump_ipv4)\b/g;

// ---------------------------------------------------------------------------
// Extraction

class Extractor {
  readonly accessors = new Set<string>();
  readonly globals = new Set<string>();

  constructor(
    readonly file: string,
    readonly mapLine: (line: number) => number,
  ) {}

  loc(n: SyntaxNode): FactLocation {
    return {
      file: this.file,
      line: this.mapLine(n.startPosition.row + 1),
      column: n.startPosition.column + 1,
      endLine: this.mapLine(n.endPosition.row + 1),
      text: oneLine(n.text),
    };
  }

  cond(n: SyntaxNode, fn: SyntaxNode): PathCondition {
    const terms = pathTerms(n, fn, this.mapLine);
    return { condition: conjunction(terms), terms };
  }

  isGlobalGenid(n: SyntaxNode): boolean {
    const u = unwrap(n);
    return u.type === 'identifier' && (this.globals.has(u.text) || (GLOBAL_GENID.test(u.text) && u.text.startsWith('__')));
  }

  /** How a node reads a genid value, if it does. */
  genidValue(n: SyntaxNode): 'field' | GenidAccess | undefined {
    const u = unwrap(n);
    if (u.type === 'field_expression') {
      const f = u.childForFieldName('field');
      if (f && FIELD_GENID.test(f.text)) return 'field';
    }
    if (u.type === 'call_expression') {
      const name = calleeName(u);
      if (name && (this.accessors.has(name) || KNOWN_ACCESSOR.test(name)) && callArgs(u).length === 0) return 'accessor';
      const args = callArgs(u);
      if (name && ATOMIC_READ.test(name) && args[0]) {
        const target = addressOf(args[0]);
        if (target && this.isGlobalGenid(target)) return 'atomic_read';
      }
      if (name && READ_ONCE.test(name) && args[0] && this.isGlobalGenid(args[0])) return 'read_once';
    }
    if (this.isGlobalGenid(u)) return 'plain';
    return undefined;
  }

  declsIn(scope: SyntaxNode, fnName?: string): GenidDecl[] {
    const out: GenidDecl[] = [];
    const consider = (decl: SyntaxNode): void => {
      const type = decl.childForFieldName('type');
      const isStatic = decl.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
      for (const d of decl.namedChildren) {
        let idNode: SyntaxNode | null = null;
        let init: SyntaxNode | null = null;
        if (d.type === 'init_declarator') {
          idNode = d.childForFieldName('declarator');
          init = d.childForFieldName('value');
        } else if (d.type === 'identifier') idNode = d;
        if (idNode?.type !== 'identifier') continue;
        if (!GLOBAL_GENID.test(idNode.text) || !idNode.text.startsWith('__')) continue;
        const typeText = type ? oneLine(type.text) : '';
        out.push({
          ...this.loc(decl),
          name: idNode.text,
          type: typeText,
          atomic: /^atomic(64|_long)?_t$/.test(typeText),
          static: isStatic,
          ...(init ? { initializer: oneLine(init.text) } : {}),
          ...(fnName ? { function: fnName } : {}),
        });
      }
    };
    if (fnName) {
      for (const n of descendants(scope, DECLARATIONS)) if (n.type === 'declaration') consider(n);
    } else {
      const visit = (n: SyntaxNode): void => {
        for (const c of n.namedChildren) {
          if (c.type === 'declaration') consider(c);
          else if (c.type.startsWith('preproc_') || c.type === 'ERROR') visit(c);
        }
      };
      visit(scope);
    }
    return out;
  }

  /** Members named like the route's genid stamp or its peer pointer, in any struct definition. */
  fieldDecls(root: SyntaxNode): FieldDecl[] {
    const out: FieldDecl[] = [];
    for (const list of descendants(root, FIELD_LISTS, false)) {
      const struct = list.parent?.childForFieldName('name')?.text ?? '(anonymous)';
      for (const decl of list.namedChildren) {
        if (decl.type !== 'field_declaration') continue;
        const type = oneLine(decl.childForFieldName('type')?.text ?? '');
        for (const d of decl.childrenForFieldName('declarator')) {
          let stars = '';
          let cur: SyntaxNode | null = d;
          while (cur && cur.type === 'pointer_declarator') {
            stars += '*';
            cur = cur.childForFieldName('declarator');
          }
          if (cur?.type !== 'field_identifier') continue;
          if (!FIELD_GENID.test(cur.text) && cur.text !== 'peer') continue;
          out.push({ ...this.loc(decl), struct, name: cur.text, type: stars ? `${type} ${stars}` : type });
        }
      }
    }
    return out;
  }

  /** An accessor: no parameters, body returns a read of the global genid. */
  isAccessorDef(def: SyntaxNode): boolean {
    const body = def.childForFieldName('body');
    if (!body) return false;
    const stmts = body.namedChildren.filter((c) => c.type !== 'comment');
    if (stmts.length !== 1 || stmts[0]!.type !== 'return_statement') return false;
    const value = stmts[0]!.namedChild(0);
    if (!value) return false;
    const kind = this.genidValue(value);
    return kind === 'atomic_read' || kind === 'plain' || kind === 'read_once';
  }

  functionFacts(found: FoundFunction, source: string): FunctionFacts {
    const { node: def, name } = found;
    // Most functions of a kernel file say nothing about the mechanism: a text test
    // spares walking (and materialising) their syntax trees.
    const text = source.slice(def.startIndex, def.endIndex);
    const relevant = RELEVANT.test(text) || DST_CHECK.test(name) || [...this.globals, ...this.accessors].some((g) => text.includes(g));
    const facts: FunctionFacts = {
      name,
      file: this.file,
      startLine: this.mapLine(def.startPosition.row + 1),
      endLine: this.mapLine(def.endPosition.row + 1),
      signature: signatureOf(def),
      ...(found.nameFromText ? { nameFromText: true } : {}),
      errorLines: [],
      isAccessor: this.accessors.has(name) && this.isAccessorDef(def),
      decls: relevant ? this.declsIn(def, name) : [],
      reads: [],
      stamps: [],
      comparisons: [],
      binds: [],
      cmpxchgs: [],
      bumps: [],
      returns: [],
      counters: [],
      obsolete: [],
      fnheUpdates: [],
    };
    if (!relevant) {
      if (def.hasError) for (const n of descendants(def, ERRORS, false)) facts.errorLines.push(this.mapLine(n.startPosition.row + 1));
      return facts;
    }
    const body = def.childForFieldName('body') ?? def;
    const consumed = new Set<number>();
    const returns: SyntaxNode[] = [];

    for (const n of descendants(def)) {
      if (n.type === 'ERROR' || n.isMissing) {
        facts.errorLines.push(this.mapLine(n.startPosition.row + 1));
        continue;
      }
      switch (n.type) {
        case 'call_expression':
          this.call(n, def, facts, consumed);
          break;
        case 'assignment_expression':
          this.assignment(n, def, facts, consumed);
          break;
        case 'update_expression': {
          const arg = n.childForFieldName('argument');
          if (arg && this.isGlobalGenid(arg)) {
            consumed.add(unwrap(arg).startIndex);
            const op = n.child(0)?.type === '++' || n.child(0)?.text === '++' || n.text.endsWith('++') ? '++' : '--';
            facts.bumps.push({ ...this.loc(n), ...this.cond(n, def), function: name, name: unwrap(arg).text, op, atomic: false });
          }
          break;
        }
        case 'binary_expression':
          this.binary(n, def, facts);
          break;
        case 'return_statement':
          returns.push(n);
          break;
        case 'identifier':
          if (this.isGlobalGenid(n) && !consumed.has(n.startIndex) && !isDeclarator(n)) {
            facts.reads.push({ ...this.loc(n), ...this.cond(n, def), function: name, via: 'plain', name: n.text });
          }
          break;
        case 'field_identifier':
          break;
        default:
          break;
      }
    }

    // The genid block: the first `if` whose condition compares genids.
    let block: SyntaxNode | undefined;
    for (const n of descendants(body, IFS)) {
      if (n.type !== 'if_statement') continue;
      const c = conditionExpr(n);
      if (c && this.comparesGenid(c)) {
        block = n;
        break;
      }
    }
    if (block) {
      const c = conditionExpr(block)!;
      facts.genidBlock = { ...this.loc(block), text: oneLine(c.text), condition: oneLine(c.text), endLine: this.mapLine(block.endPosition.row + 1) };
    }
    if (DST_CHECK.test(name) || block) {
      for (const r of returns) {
        const value = r.namedChild(0);
        const pc = this.cond(r, def);
        let position: ReturnFact['position'] = 'no-genid-block';
        if (block) {
          if (r.startIndex < block.startIndex) position = 'before-genid-block';
          else if (r.startIndex < block.endIndex) position = 'inside-genid-block';
          else position = 'after-genid-block';
        }
        facts.returns.push({
          ...this.loc(r),
          ...pc,
          function: name,
          value: value ? oneLine(value.text) : '',
          checksExpiry: EXPIRY.test(pc.condition) || (!!value && EXPIRY.test(value.text)),
          position,
        });
      }
    }
    return facts;
  }

  comparesGenid(expr: SyntaxNode): boolean {
    for (const n of descendants(expr, BINARIES)) {
      if (n.type === 'binary_expression' && COMPARE_OPS.has(binaryOperator(n))) {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if ((l && this.genidValue(l)) || (r && this.genidValue(r))) return true;
      }
    }
    return false;
  }

  call(n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts, consumed: Set<number>): void {
    const name = calleeName(n);
    if (!name) return;
    const args = callArgs(n);
    const fn = facts.name;
    const kind = this.genidValue(n);
    if (kind === 'accessor' || kind === 'atomic_read' || kind === 'read_once') {
      for (const a of args) {
        const t = addressOf(a) ?? unwrap(a);
        consumed.add(t.startIndex);
      }
      facts.reads.push({ ...this.loc(n), ...this.cond(n, def), function: fn, via: kind, name: kind === 'accessor' ? name : unwrap(addressOf(args[0]!) ?? args[0]!).text });
      return;
    }
    if (ATOMIC_WRITE.test(name)) {
      const target = args.map((a) => addressOf(a)).find((t) => t !== undefined);
      if (target && this.isGlobalGenid(target)) {
        consumed.add(target.startIndex);
        facts.bumps.push({ ...this.loc(n), ...this.cond(n, def), function: fn, name: target.text, op: name, atomic: true });
        return;
      }
      if (target && target.type === 'field_expression') {
        const field = target.childForFieldName('field')?.text;
        if (field === 'fnhe_genid' || field === 'rt_genid') {
          facts.counters.push({ ...this.loc(n), ...this.cond(n, def), function: fn, counter: field, op: name === 'atomic_set' ? 'write' : 'bump', via: name });
        }
      }
      return;
    }
    if (BIND_PEER.test(name)) {
      const last = args[args.length - 1];
      const create = last ? oneLine(last.text) : '';
      const value = parseCreate(create);
      facts.binds.push({
        ...this.loc(n),
        ...this.cond(n, def),
        function: fn,
        callee: name,
        args: args.map((a) => oneLine(a.text)),
        create,
        ...(value !== undefined ? { createValue: value } : {}),
      });
      return;
    }
    if (CMPXCHG.test(name) && args[0]) {
      const target = addressOf(args[0]);
      const field = target?.type === 'field_expression' ? target.childForFieldName('field')?.text : undefined;
      if (target && field === 'peer') {
        const parent = n.parent;
        let resultTest: string | undefined;
        if (parent?.type === 'binary_expression' && COMPARE_OPS.has(binaryOperator(parent))) {
          const other = same(parent.childForFieldName('left'), n) ? parent.childForFieldName('right') : parent.childForFieldName('left');
          resultTest = `${binaryOperator(parent)} ${other ? oneLine(other.text) : ''}`.trim();
        }
        facts.cmpxchgs.push({
          ...this.loc(n),
          ...this.cond(n, def),
          function: fn,
          callee: name,
          target: oneLine(target.text),
          expected: args[1] ? oneLine(args[1].text) : '',
          desired: args[2] ? oneLine(args[2].text) : '',
          ...(resultTest ? { resultTest } : {}),
        });
      }
      return;
    }
    if (name === 'fnhe_genid' || name === 'fnhe_genid_bump') {
      facts.counters.push({ ...this.loc(n), ...this.cond(n, def), function: fn, counter: 'fnhe_genid', op: name === 'fnhe_genid' ? 'read' : 'bump', via: name });
      return;
    }
    if (/^rt_genid_bump/.test(name) || name === 'rt_genid_ipv4' || name === 'rt_genid') {
      facts.counters.push({ ...this.loc(n), ...this.cond(n, def), function: fn, counter: 'rt_genid', op: name.startsWith('rt_genid_bump') ? 'bump' : 'read', via: name });
      return;
    }
    if (name === 'update_or_create_fnhe') {
      facts.fnheUpdates.push({ ...this.loc(n), ...this.cond(n, def), function: fn, args: args.map((a) => oneLine(a.text)) });
      return;
    }
    for (const a of args) {
      const u = unwrap(a);
      if (u.type === 'identifier' && /^DST_OBSOLETE_/.test(u.text)) {
        facts.obsolete.push({ ...this.loc(n), ...this.cond(n, def), function: fn, constant: u.text, operator: 'arg', kind: 'arg' });
      }
    }
  }

  assignment(n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts, consumed: Set<number>): void {
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    const op = n.childForFieldName('operator')?.text ?? '=';
    if (!left || !right) return;
    const l = unwrap(left);
    const fn = facts.name;
    if (this.isGlobalGenid(l)) {
      consumed.add(l.startIndex);
      facts.bumps.push({ ...this.loc(n), ...this.cond(n, def), function: fn, name: l.text, op, atomic: false });
      return;
    }
    if (l.type === 'field_expression') {
      const field = l.childForFieldName('field')?.text ?? '';
      if (FIELD_GENID.test(field)) {
        const rv = this.genidValue(right);
        const r = unwrap(right);
        const valueKind: StampFact['valueKind'] =
          rv && rv !== 'field' ? 'genid-read' : r.type === 'number_literal' ? 'literal' : 'other';
        facts.stamps.push({ ...this.loc(n), ...this.cond(n, def), function: fn, target: oneLine(left.text), operator: op, value: oneLine(right.text), valueKind });
        return;
      }
      if (field === 'fnhe_genid') {
        facts.counters.push({ ...this.loc(n), ...this.cond(n, def), function: fn, counter: 'fnhe_genid', op: 'write', via: op });
        return;
      }
      if (field === 'obsolete') {
        const r = unwrap(right);
        if (r.type === 'identifier' && /^DST_OBSOLETE_/.test(r.text)) {
          facts.obsolete.push({ ...this.loc(n), ...this.cond(n, def), function: fn, constant: r.text, operator: op, kind: 'set' });
        }
      }
    }
  }

  binary(n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts): void {
    const op = binaryOperator(n);
    if (!COMPARE_OPS.has(op)) return;
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    if (!left || !right) return;
    const lk = this.genidValue(left);
    const rk = this.genidValue(right);
    if (lk || rk) {
      facts.comparisons.push({
        ...this.loc(n),
        ...this.cond(n, def),
        function: facts.name,
        operator: op,
        left: oneLine(left.text),
        right: oneLine(right.text),
        genidVsGenid: !!lk && !!rk,
      });
      return;
    }
    for (const side of [left, right]) {
      const u = unwrap(side);
      if (u.type === 'identifier' && /^DST_OBSOLETE_/.test(u.text)) {
        facts.obsolete.push({ ...this.loc(n), ...this.cond(n, def), function: facts.name, constant: u.text, operator: op, kind: 'compare' });
      }
    }
    const fieldOf = (s: SyntaxNode): string | undefined => {
      const u = unwrap(s);
      return u.type === 'field_expression' ? u.childForFieldName('field')?.text : undefined;
    };
    if (fieldOf(left) === 'fnhe_genid' || fieldOf(right) === 'fnhe_genid') {
      facts.counters.push({ ...this.loc(n), ...this.cond(n, def), function: facts.name, counter: 'fnhe_genid', op: 'read', via: op });
    }
  }
}

function isDeclarator(n: SyntaxNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (p.type === 'init_declarator' && same(p.childForFieldName('declarator'), n)) return true;
  if (p.type === 'declaration') return true;
  return false;
}

function parseCreate(text: string): number | undefined {
  if (/^(0x[0-9a-f]+|\d+)[uUlL]*$/i.test(text)) return Number.parseInt(text, /^0x/i.test(text) ? 16 : 10);
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  return undefined;
}

/** Extracts the protocol facts of one C source (a whole file or a hunk fragment). */
export function extractFacts(source: string, file: string, opts: ExtractOptions = {}): ProtocolFacts {
  const tree: Tree = parseC(source);
  return extractFactsFromTree(tree, source, file, opts);
}

export function extractFactsFromTree(tree: Tree, source: string, file: string, opts: ExtractOptions = {}): ProtocolFacts {
  const mapLine = opts.mapLine ?? ((l: number) => l);
  const ex = new Extractor(file, mapLine);
  const root = tree.rootNode;

  const globals = ex.declsIn(root);
  for (const g of globals) ex.globals.add(g.name);
  for (const a of opts.accessors ?? []) ex.accessors.add(a);

  const found = findFunctions(root);
  for (const f of found) if (ex.isAccessorDef(f.node)) ex.accessors.add(f.name);
  const functions = found.map((f) => ex.functionFacts(f, source));

  let errorNodes = 0;
  let peerFieldUses = 0;
  // ERROR nodes only: MISSING tokens are only looked for inside the functions that matter.
  errorNodes = descendants(root, ERRORS, false).length;
  // `->peer` uses by text (comments removed): cheaper than materialising every field_expression.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  peerFieldUses = (code.match(/->\s*peer\b/g) ?? []).length;
  const fnheMentions = (source.match(FNHE_WORDS) ?? []).length;

  const seen = new Set(found.map((f) => `${f.name}@${f.node.startPosition.row + 1}`));
  const names = new Set(found.map((f) => f.name));
  const unparsed: UnparsedFunction[] = [];
  for (const t of textualDefinitions(source)) {
    if (names.has(t.name) || seen.has(`${t.name}@${t.line}`)) continue;
    unparsed.push({ name: t.name, file, line: mapLine(t.line), reason: 'definition inside a region tree-sitter could not parse (macro-heavy code); its facts are unknown' });
  }

  const fields = ex.fieldDecls(root);
  return { file, functions, globals, fields, accessors: [...ex.accessors].sort(), unparsed, errorNodes, peerFieldUses, fnheMentions };
}

/** The facts of one function by name (the last definition wins, as in C with #ifdef variants). */
export function functionFacts(facts: ProtocolFacts, name: string): FunctionFacts | undefined {
  let hit: FunctionFacts | undefined;
  for (const f of facts.functions) if (f.name === name) hit = f;
  return hit;
}

/** Whether a function carries any fact of the mechanism (either era). */
export function hasProtocolFacts(f: FunctionFacts): boolean {
  return (
    f.isAccessor ||
    f.decls.length + f.reads.length + f.stamps.length + f.comparisons.length + f.binds.length + f.cmpxchgs.length + f.bumps.length > 0 ||
    f.counters.length + f.obsolete.length + f.fnheUpdates.length > 0 ||
    (DST_CHECK.test(f.name) && f.returns.length > 0)
  );
}

/** Every fact of a kind across all functions. */
export function allOf<K extends 'reads' | 'stamps' | 'comparisons' | 'binds' | 'cmpxchgs' | 'bumps' | 'returns' | 'counters' | 'obsolete' | 'fnheUpdates'>(
  facts: ProtocolFacts,
  kind: K,
): FunctionFacts[K] {
  return facts.functions.flatMap((f) => f[kind] as unknown[]) as FunctionFacts[K];
}
