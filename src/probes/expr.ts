/**
 * Field expressions of the probe plan, lowered to kprobe_events fetch arguments with the
 * kernel's own offsets. A tiny DSL (the plan's, not C):
 *
 *   dst                                       a parameter, by its BTF/DWARF name
 *   dst<rtable>->rt_genid                     reinterpret a pointer as `struct rtable *` (container at offset 0)
 *   dst->dev->nd_net.net->ipv4.rt_genid.counter   member paths, `->` dereferences
 *   __ctl->extra1<net>->fnhe_genid.counter    a void * member reinterpreted
 *   $retval->fnhe_daddr                       the return value (its BTF type)
 *   @__rt_peer_genid                          a kernel symbol (static variable; needs KALLSYMS_ALL)
 *
 * Lowered as `+0x58c(+0x500(+0(%di)))` (register syntax) or `dst->dev->nd_net.net->...`
 * (BTF syntax, when no reinterpretation is involved).
 */
import { badInput } from '../core/errors.ts';
import type { FunctionFact, KernelTypes, MemberFact, ParamFact } from '../kernel/btf/types.ts';

/** x86-64 SysV integer argument registers, as kprobe_events names them. */
export const ARG_REGS = ['%di', '%si', '%dx', '%cx', '%r8', '%r9'] as const;

export type ValueAs = 'pointer' | 'ipv4' | 'int' | 'hex';

interface Hop {
  /** Member path inside the current struct (`nd_net.net`). */
  path: string;
  /** Reinterpret the pointer this hop yields as struct <cast>. */
  cast?: string;
}

export interface ParsedExpr {
  base: { kind: 'param'; name: string } | { kind: 'arg'; n: number } | { kind: 'retval' } | { kind: 'symbol'; name: string };
  baseCast?: string;
  hops: Hop[];
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const BASE_RE = new RegExp(`^(\\$retval|\\$arg(\\d+)|@(${IDENT})|(${IDENT}))(?:<(${IDENT})>)?`);
const HOP_RE = new RegExp(`^->(${IDENT}(?:\\.${IDENT})*)(?:<(${IDENT})>)?`);

export function parseExpr(src: string): ParsedExpr {
  const m = BASE_RE.exec(src);
  if (!m) throw badInput(`bad probe expression '${src}'`);
  const base: ParsedExpr['base'] =
    m[1] === '$retval' ? { kind: 'retval' } : m[2] ? { kind: 'arg', n: Number(m[2]) } : m[3] ? { kind: 'symbol', name: m[3] } : { kind: 'param', name: m[4]! };
  const out: ParsedExpr = { base, baseCast: m[5], hops: [] };
  let rest = src.slice(m[0].length);
  while (rest.length) {
    const h = HOP_RE.exec(rest);
    if (!h) throw badInput(`bad probe expression '${src}' at '${rest}'`);
    out.hops.push({ path: h[1]!, cast: h[2] });
    rest = rest.slice(h[0].length);
  }
  return out;
}

/** Every `struct.member.path` an expression needs, given the structs its pointers point to. */
export interface LowerContext {
  fn?: FunctionFact;
  types: KernelTypes;
  /** 'entry' (p:, f:) or 'return' (r:, f:%return). */
  at: 'entry' | 'return';
  /** Register syntax only: params through %reg (p:) or $argN. */
  argStyle: 'reg' | 'argN';
  /** The kernel has no x8..x64 types (older than 4.x): print pointers and addresses as u. */
  noHexTypes?: boolean;
}

export interface Lowered {
  /** Register/offset syntax (works on every kernel with kprobe_events). */
  regs?: string;
  /** BTF syntax (names and ->), when expressible without reinterpretation. */
  btf?: string;
  type: string;
  as: ValueAs;
  /** The leaf's facts, for bpftrace. */
  leaf?: MemberFact | ParamFact;
  /** For bpftrace: the base param index (0-based) or 'retval'/'symbol'. */
  baseIndex?: number | 'retval' | 'symbol';
  /** For bpftrace: C-ish access path with casts, e.g. `((struct rtable *)$a0)->rt_genid`. */
  cPath?: string;
}

/** `unknown`: a member path the types were not asked for yet (the generator loads it and retries). */
export type LowerResult = Lowered | { error: string; unknown?: string };

function kprobeType(leaf: { size: number; signed?: boolean; pointer?: boolean; bitOffset?: number; bitSize?: number }, as: ValueAs, noHex: boolean): string | undefined {
  if (leaf.bitSize) return `b${leaf.bitSize}@${leaf.bitOffset ?? 0}/${leaf.size * 8}`;
  const bits = leaf.size * 8;
  if (![8, 16, 32, 64].includes(bits)) return undefined;
  if (leaf.pointer || as === 'pointer') return noHex ? 'u64' : 'x64';
  if (as === 'ipv4' || as === 'hex') return noHex ? `u${bits}` : `x${bits}`;
  return `${leaf.signed ? 's' : 'u'}${bits}`;
}

/**
 * Lowers an expression against a function's prototype and the kernel's member offsets.
 * Returns { error } with a reason when this kernel cannot express it (missing member, no
 * prototype, a register beyond the sixth, a parameter on a return probe in register syntax).
 */
export function lowerExpr(src: string, as: ValueAs, ctx: LowerContext): LowerResult {
  let e: ParsedExpr;
  try {
    e = parseExpr(src);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const noHex = Boolean(ctx.noHexTypes);
  let regs: string;
  let btf: string | undefined;
  let cPath: string;
  let leaf: { size: number; signed?: boolean; pointer?: boolean; pointee?: string; bitOffset?: number; bitSize?: number; type?: string };
  let baseIndex: Lowered['baseIndex'];
  switch (e.base.kind) {
    case 'retval': {
      if (ctx.at !== 'return') return { error: '$retval on an entry probe' };
      const fn = ctx.fn;
      regs = '$retval';
      btf = '$retval';
      cPath = 'retval';
      baseIndex = 'retval';
      leaf = fn
        ? { size: fn.returnSize || 8, pointer: fn.returnPointer, pointee: fn.returnPointee, signed: !fn.returnPointer && /^(int|long|short|s\d+|char)\b/.test(fn.returns) && !/\bunsigned\b/.test(fn.returns) }
        : { size: 8, pointer: true };
      break;
    }
    case 'symbol':
      regs = `@${e.base.name}`;
      btf = undefined;
      cPath = `*(int32 *)kaddr("${e.base.name}")`;
      baseIndex = 'symbol';
      leaf = { size: 4, signed: false };
      break;
    case 'arg':
    case 'param': {
      const fn = ctx.fn;
      let idx: number;
      let p: ParamFact | undefined;
      if (e.base.kind === 'arg') {
        idx = e.base.n - 1;
        p = fn?.params[idx];
      } else {
        if (!fn) return { error: `no prototype to find parameter '${e.base.name}'` };
        const name = e.base.name;
        idx = fn.params.findIndex((x) => x.name === name);
        if (idx < 0) return { error: `${fn.name} has no parameter '${name}' (${fn.params.map((x) => x.name).join(', ') || 'none'})` };
        p = fn.params[idx];
      }
      // A struct passed by value shifts the registers of every later parameter: stop there.
      if (fn?.params.slice(0, idx).some((x) => x.size > 8)) return { error: `parameter ${idx + 1} of ${fn.name} follows a struct passed by value` };
      if (idx >= ARG_REGS.length) return { error: `parameter ${idx + 1} is not in a register` };
      if (ctx.at === 'return' && ctx.argStyle === 'reg') return { error: 'parameters are not available on a return probe here' };
      regs = ctx.argStyle === 'reg' ? ARG_REGS[idx]! : `$arg${idx + 1}`;
      btf = e.base.kind === 'param' ? e.base.name : `$arg${idx + 1}`;
      cPath = `arg${idx}`;
      baseIndex = idx;
      leaf = p ?? { size: 8 };
      break;
    }
  }
  // bpftrace sees arguments and retval as u64: cast before the first dereference.
  let typed = false;
  if (e.baseCast) {
    typed = true;
    if (!leaf.pointer && leaf.size !== 8) return { error: `cannot reinterpret a non-pointer as struct ${e.baseCast}` };
    leaf = { ...leaf, pointer: true, pointee: e.baseCast };
    btf = undefined;
    cPath = `((struct ${e.baseCast} *)${cPath})`;
  }
  for (const hop of e.hops) {
    const struct = leaf.pointee;
    if (!leaf.pointer || !struct) return { error: `'${src}': cannot dereference a ${leaf.type ?? 'non-pointer'} before ->${hop.path}` };
    const key = `${struct}.${hop.path}`;
    const m = ctx.types.members[key];
    if (!m) {
      const known = ctx.types.missingMembers.includes(key);
      return known ? { error: `no member ${key} in this kernel` } : { error: `member ${key} not read yet`, unknown: key };
    }
    regs = `+${hex(m.offset)}(${regs})`;
    if (btf !== undefined) btf = `${btf}->${hop.path}`;
    if (!typed) cPath = `((struct ${struct} *)${cPath})`;
    typed = true;
    cPath = `${cPath}->${hop.path}`;
    leaf = m;
    if (hop.cast) {
      if (!m.pointer) return { error: `${key} is not a pointer: cannot reinterpret it as struct ${hop.cast}` };
      leaf = { ...m, pointee: hop.cast };
      btf = undefined;
      cPath = `((struct ${hop.cast} *)${cPath})`;
    }
  }
  const type = kprobeType(leaf, as, noHex);
  if (!type) return { error: `'${src}' is ${leaf.size} bytes: not a fetchable scalar` };
  // Register syntax reads the value at the last offset; a bare register/$retval is the value itself.
  return { regs, btf, type, as, leaf: leaf as MemberFact, baseIndex, cPath };
}

export function hex(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}
