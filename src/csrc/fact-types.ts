/**
 * The protocol facts that src/csrc/facts.ts extracts: what each one records, located by
 * file, line, column and the C text it was read from.
 */

/** Where a fact is, and the C it was read from (whitespace runs collapsed to one space). */
export interface FactLocation {
  file: string;
  /** 1-based line and column of the fact's first character. */
  line: number;
  column: number;
  endLine: number;
  text: string;
}

/** One conjunct of a path condition, outermost first. */
export interface PathTerm {
  /** The C expression as written (without outer parentheses). */
  text: string;
  /** True for an else branch (or the right side of `||`): the condition is `!(text)`. */
  negated: boolean;
  kind: 'if' | 'loop' | 'and' | 'or' | 'ternary' | 'case';
  line: number;
}

/** Path condition of a statement: the conjunction of the conditions that lead to it. */
export interface PathCondition {
  /** C text of the conjunction; 'true' when unconditional. */
  condition: string;
  terms: PathTerm[];
}

export type GenidAccess = 'atomic_read' | 'accessor' | 'plain' | 'read_once';

/** A file-scope (or function-static) declaration of a global genid. */
export interface GenidDecl extends FactLocation {
  name: string;
  /** The declared type as written, e.g. 'atomic_t', 'u32'. */
  type: string;
  atomic: boolean;
  static: boolean;
  initializer?: string;
  /** Function holding the declaration when it is not at file scope. */
  function?: string;
}

/** A struct member of the mechanism: a route's genid stamp or its peer pointer. */
export interface FieldDecl extends FactLocation {
  struct: string;
  name: string;
  /** The member's type as written, pointer stars included ('u32', 'struct inet_peer *'). */
  type: string;
}

/** A read of the global genid. */
export interface GenidRead extends FactLocation, PathCondition {
  function: string;
  via: GenidAccess;
  /** The global (or accessor) read. */
  name: string;
}

/** A write to a route's genid field (`rt->rt_peer_genid = ...`). */
export interface StampFact extends FactLocation, PathCondition {
  function: string;
  /** Left side, e.g. 'rt->rt_peer_genid'. */
  target: string;
  /** Assignment operator ('=' normally). */
  operator: string;
  value: string;
  /** What the value is: a genid read, a literal (reset), or something else. */
  valueKind: 'genid-read' | 'literal' | 'other';
}

/** A comparison where at least one side is a genid (global, accessor or route field). */
export interface CompareFact extends FactLocation, PathCondition {
  function: string;
  operator: string;
  left: string;
  right: string;
  /** True when both sides are genid values (route stamp vs global). */
  genidVsGenid: boolean;
}

/** A call of rt_bind_peer (or a twin such as rt6_bind_peer). */
export interface BindCall extends FactLocation, PathCondition {
  function: string;
  callee: string;
  args: string[];
  /** The `create` argument (the last one) as written. */
  create: string;
  /** Its value when it is an integer literal (or true/false). */
  createValue?: number;
}

/** A cmpxchg (or try_cmpxchg) on a `->peer` field. */
export interface CmpxchgFact extends FactLocation, PathCondition {
  function: string;
  callee: string;
  target: string;
  expected: string;
  desired: string;
  /** The comparison the result takes part in, e.g. '!= NULL', when any. */
  resultTest?: string;
}

/** An increment / add / set of the global genid. */
export interface BumpFact extends FactLocation, PathCondition {
  function: string;
  name: string;
  /** 'atomic_inc', 'atomic_add', 'atomic_set', '++', '+=', '=' ... */
  op: string;
  atomic: boolean;
}

/** A return statement of a dst_check-like function, in source order. */
export interface ReturnFact extends FactLocation, PathCondition {
  function: string;
  /** Returned expression ('' for a bare return). */
  value: string;
  /** The path condition (or the returned expression) tests rt_is_expired(). */
  checksExpiry: boolean;
  /** Where it is relative to the function's genid block. */
  position: 'before-genid-block' | 'inside-genid-block' | 'after-genid-block' | 'no-genid-block';
}

/** The first `if` whose condition compares genids (the revalidation block). */
export interface GenidBlock extends FactLocation {
  condition: string;
  endLine: number;
}

/** Generation counters of the fnhe era (and `rt_genid`). */
export interface CounterFact extends FactLocation, PathCondition {
  function: string;
  counter: 'fnhe_genid' | 'rt_genid';
  op: 'read' | 'write' | 'bump';
  /** How: the call or operator used, e.g. 'fnhe_genid_bump', 'rt_genid_bump_ipv4', '='. */
  via: string;
}

/** A comparison with, or an assignment of, a DST_OBSOLETE_* constant. */
export interface ObsoleteFact extends FactLocation, PathCondition {
  function: string;
  constant: string;
  /** '==' / '!=' for comparisons, '=' for assignments, 'arg' when passed to a call (dst_alloc). */
  operator: string;
  kind: 'compare' | 'set' | 'arg';
}

/** A call of update_or_create_fnhe (learned PMTU / redirect stored in an exception). */
export interface FnheUpdateFact extends FactLocation, PathCondition {
  function: string;
  args: string[];
}

/** Everything found in one function definition. */
export interface FunctionFacts {
  name: string;
  file: string;
  startLine: number;
  endLine: number;
  /** The header as written, on one line (`static u32 rt_peer_genid(void)`). */
  signature: string;
  /** The name came from the text because the declarator did not parse. */
  nameFromText?: boolean;
  /** Lines of ERROR nodes inside the definition, and of MISSING tokens in functions with facts. */
  errorLines: number[];
  /** The function returns the global genid and takes no arguments (rt_peer_genid()). */
  isAccessor: boolean;
  decls: GenidDecl[];
  reads: GenidRead[];
  stamps: StampFact[];
  comparisons: CompareFact[];
  binds: BindCall[];
  cmpxchgs: CmpxchgFact[];
  bumps: BumpFact[];
  /** Filled for dst_check-like functions and any function holding a genid block. */
  returns: ReturnFact[];
  genidBlock?: GenidBlock;
  counters: CounterFact[];
  obsolete: ObsoleteFact[];
  fnheUpdates: FnheUpdateFact[];
}

/** A function the parser could not see as a definition. */
export interface UnparsedFunction {
  name: string;
  file: string;
  line: number;
  reason: string;
}

export interface ProtocolFacts {
  file: string;
  /** Every function definition, in source order (facts may be empty). */
  functions: FunctionFacts[];
  /** File-scope genid declarations. */
  globals: GenidDecl[];
  /** Struct members `*peer_genid` and `peer` (include/net/route.h, ip6_fib.h). */
  fields: FieldDecl[];
  /** Names of accessor functions of the genid (defined here, or known by name). */
  accessors: string[];
  /** Definitions hidden in tree-sitter ERROR regions. */
  unparsed: UnparsedFunction[];
  /** Count of ERROR nodes in the whole file (MISSING tokens are reported per relevant function). */
  errorNodes: number;
  /** Uses of a route's `->peer` field anywhere (the routing-cache era's binding). */
  peerFieldUses: number;
  /** Identifiers of the fnhe era seen anywhere (struct fib_nh_exception, fnhe_genid ...). */
  fnheMentions: number;
}

export interface ExtractOptions {
  /** Maps a line of `source` to the line to report (hunk fragments). Default identity. */
  mapLine?: (line: number) => number;
  /** Extra accessor names (when the definition is not in `source`). */
  accessors?: string[];
}

