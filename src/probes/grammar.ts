/**
 * A reader of kprobe_events / fprobe definitions (Documentation/trace/kprobetrace.rst):
 * used to lint generated lines before a guest sees them, and to say which syntax features
 * a line uses, so a line can be checked against what a kernel is known to accept.
 */
export type LineFeature =
  | 'kprobe' | 'kretprobe' | 'fprobe' | 'fexit' | 'offset-symbol'
  | 'register' | 'deref' | 'nested-deref' | 'bitfield' | 'retval' | 'retval-deref'
  | 'argN' | 'argN-on-return' | 'arg-star' | 'symbol-fetch' | 'btf-name' | 'btf-field' | 'hex-type' | 'no-type';

export interface ParsedFetchArg {
  name?: string;
  fetch: string;
  type?: string;
}

export interface ParsedProbeLine {
  type: 'p' | 'r' | 'f';
  maxactive?: number;
  group?: string;
  event?: string;
  symbol: string;
  offset?: number;
  isReturn: boolean;
  args: ParsedFetchArg[];
  features: Set<LineFeature>;
}

const TYPE_RE = /^(?:[us](?:8|16|32|64)|x(?:8|16|32|64)|string|ustring|symbol|symstr|char|b\d+@\d+\/(?:8|16|32|64)|[us](?:8|16|32|64)\[\d+\]|x(?:8|16|32|64)\[\d+\])$/;
const REG_RE = /^%(?:[re]?(?:ax|bx|cx|dx|si|di|bp|sp|ip)|r(?:[89]|1[0-5])[dwb]?|flags|cs|ss|ds|es|fs|gs|orig_ax)$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one fetch expression (without name= and :type); returns the features it uses, or an error. */
function parseFetch(s: string, isReturn: boolean, feats: Set<LineFeature>, depth = 0): string | undefined {
  if (s === '') return 'empty fetch argument';
  if (s.startsWith('%')) {
    if (!REG_RE.test(s)) return `unknown register ${s}`;
    feats.add('register');
    return undefined;
  }
  if (s === '$retval') {
    if (!isReturn) return '$retval on an entry probe';
    feats.add('retval');
    return undefined;
  }
  if (s === '$arg*') {
    feats.add('arg-star');
    return undefined;
  }
  if (/^\$arg\d+$/.test(s)) {
    feats.add(isReturn ? 'argN-on-return' : 'argN');
    return undefined;
  }
  if (/^\$(?:stack\d*|comm|current)$/.test(s)) return undefined;
  if (s.startsWith('$retval->')) {
    feats.add('retval').add('btf-field');
    return undefined;
  }
  if (s.startsWith('@')) {
    if (!/^@[A-Za-z_.][A-Za-z0-9_.]*(?:[+-](?:0x[0-9a-fA-F]+|\d+))?$/.test(s) && !/^@0x[0-9a-fA-F]+$/.test(s)) return `bad symbol fetch ${s}`;
    feats.add('symbol-fetch');
    return undefined;
  }
  const m = /^([+-]u?)(0x[0-9a-fA-F]+|\d+)\((.*)\)$/.exec(s);
  if (m) {
    feats.add(depth > 0 ? 'nested-deref' : 'deref');
    const inner = m[3]!;
    if (inner === '$retval') feats.add('retval-deref');
    return parseFetch(inner, isReturn, feats, depth + 1);
  }
  // BTF: name or name->field.field->...
  const parts = s.split('->');
  if (parts.every((p, i) => p.split('.').every((x) => IDENT_RE.test(x)) && (i > 0 || IDENT_RE.test(p)))) {
    feats.add(parts.length > 1 || s.includes('.') ? 'btf-field' : 'btf-name');
    if (isReturn) feats.add('argN-on-return');
    return undefined;
  }
  return `cannot parse fetch argument '${s}'`;
}

/** Parses a definition line; `{ error }` names the first problem. */
export function parseProbeLine(line: string): ParsedProbeLine | { error: string } {
  const tokens = line.trim().split(/\s+/);
  const head = tokens.shift() ?? '';
  const hm = /^([prf])(\d*)(?::(?:([A-Za-z_][A-Za-z0-9_]*)\/)?([A-Za-z_][A-Za-z0-9_.]*))?$/.exec(head);
  if (!hm) return { error: `bad probe head '${head}'` };
  const type = hm[1] as 'p' | 'r' | 'f';
  const sym = tokens.shift();
  if (!sym) return { error: 'no probe point' };
  const feats = new Set<LineFeature>();
  let symbol = sym;
  let isReturn = type === 'r';
  if (type === 'f' && sym.endsWith('%return')) {
    isReturn = true;
    symbol = sym.slice(0, -'%return'.length);
  }
  let offset: number | undefined;
  const om = /^([A-Za-z_][A-Za-z0-9_.]*)\+(0x[0-9a-fA-F]+|\d+)$/.exec(symbol);
  if (om) {
    symbol = om[1]!;
    offset = Number(om[2]);
    feats.add('offset-symbol');
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(symbol)) return { error: `bad symbol '${symbol}'` };
  feats.add(type === 'p' ? 'kprobe' : type === 'r' ? 'kretprobe' : isReturn ? 'fexit' : 'fprobe');
  const args: ParsedFetchArg[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    let name: string | undefined;
    let rest = t;
    if (eq > 0 && IDENT_RE.test(t.slice(0, eq))) {
      name = t.slice(0, eq);
      rest = t.slice(eq + 1);
    }
    // The type follows the LAST ':' outside parentheses.
    let depth = 0;
    let colon = -1;
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === ':' && depth === 0) colon = i;
    }
    const fetch = colon >= 0 ? rest.slice(0, colon) : rest;
    const ty = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (ty !== undefined) {
      if (!TYPE_RE.test(ty)) return { error: `bad type '${ty}' in '${t}'` };
      if (ty.startsWith('b')) feats.add('bitfield');
      if (ty.startsWith('x')) feats.add('hex-type');
    } else feats.add('no-type');
    const err = parseFetch(fetch, isReturn, feats);
    if (err) return { error: err };
    args.push({ name, fetch, type: ty });
  }
  return { type, maxactive: hm[2] ? Number(hm[2]) : undefined, group: hm[3], event: hm[4], symbol, offset, isReturn, args, features: feats };
}

/** Features a Debian 6.1 kernel takes (measured by booting it). */
export const FEATURES_6_1: ReadonlySet<LineFeature> = new Set<LineFeature>([
  'kprobe', 'kretprobe', 'offset-symbol', 'register', 'deref', 'nested-deref', 'bitfield', 'retval', 'retval-deref',
  'argN', 'symbol-fetch', 'hex-type', 'no-type',
]);
