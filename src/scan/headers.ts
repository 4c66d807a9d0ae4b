/**
 * Struct fields from the tree's headers (include/net/route.h, inetpeer.h, ip_fib.h): which of
 * the protocol's fields exist, with their declared type and line, so a verdict can say e.g.
 * "struct rtable has u32 rt_peer_genid (include/net/route.h:62)" or that it is missing.
 */
import { blankComments, lineIndex } from './ctext.ts';

export interface StructField {
  name: string;
  /** The declaration's type text (e.g. `u32`, `struct inet_peer *`). */
  type: string;
  line: number;
}

/** The fields of `struct <name> { ... }` in a header, or undefined when the struct is not defined there. */
export function structFields(source: string, name: string): StructField[] | undefined {
  const text = blankComments(source);
  const line = lineIndex(text);
  const m = new RegExp(`\\bstruct\\s+${name}\\s*\\{`).exec(text);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  let depth = 0;
  let close = open;
  for (; close < text.length; close++) {
    if (text[close] === '{') depth++;
    else if (text[close] === '}' && --depth === 0) break;
  }
  const fields: StructField[] = [];
  // Top-level declarations only: nested unions/structs are flattened, their members are fields too.
  const body = text.slice(open + 1, close);
  const declRe = /([^;{}]+);/g;
  for (let d = declRe.exec(body); d; d = declRe.exec(body)) {
    const decl = d[1]!.replace(/#[^\n]*\n/g, '\n');
    const start = d.index + (d[1]!.length - d[1]!.trimStart().length);
    const clean = decl.replace(/\s+/g, ' ').trim();
    if (clean === '' || clean.startsWith('#')) continue;
    // Last identifier not inside brackets / after ':' (bit fields) is the field name.
    const core = clean.replace(/\[[^\]]*\]/g, '').replace(/:\s*\d+\s*$/, '').replace(/\s*__\w+\s*$/, '');
    const nm = /([A-Za-z_]\w*)\s*$/.exec(core);
    if (!nm) continue;
    const type = core.slice(0, nm.index).trim();
    if (type === '') continue;
    fields.push({ name: nm[1]!, type, line: line(open + 1 + start) });
  }
  return fields;
}

/** The structs the protocol touches, and the header each lives in (in every era). */
export const PROTOCOL_STRUCTS: { struct: string; header: string; fields: string[] }[] = [
  { struct: 'rtable', header: 'include/net/route.h', fields: ['rt_peer_genid', 'peer', 'rt_genid'] },
  { struct: 'inet_peer', header: 'include/net/inetpeer.h', fields: ['pmtu_expires', 'pmtu_learned', 'redirect_learned'] },
  { struct: 'fib_nh_exception', header: 'include/net/ip_fib.h', fields: ['fnhe_genid', 'fnhe_pmtu', 'fnhe_gw'] },
];

export interface HeaderFact {
  struct: string;
  header: string;
  /** Undefined: the header is absent or does not define the struct. */
  present: StructField[] | undefined;
  missing: string[];
}

/** For each protocol struct: the protocol fields it declares and those it lacks. */
export function headerFacts(headers: Record<string, string>): HeaderFact[] {
  return PROTOCOL_STRUCTS.map(({ struct, header, fields }) => {
    const src = headers[header];
    const all = src === undefined ? undefined : structFields(src, struct);
    if (!all) return { struct, header, present: undefined, missing: fields };
    return {
      struct,
      header,
      present: all.filter((f) => fields.includes(f.name)),
      missing: fields.filter((n) => !all.some((f) => f.name === n)),
    };
  });
}

/** One line per struct, for verdict details. */
export function describeHeaderFacts(facts: HeaderFact[]): string[] {
  return facts.map((h) => {
    if (!h.present) return `${h.header}: no struct ${h.struct}`;
    const have = h.present.map((f) => `${f.type} ${f.name} (${h.header}:${f.line})`).join(', ');
    return `struct ${h.struct}: ${have || 'none of the protocol fields'}${h.missing.length ? `; lacks ${h.missing.join(', ')}` : ''}`;
  });
}
