/**
 * The type each probe argument was declared with, and reading a printed value as that type.
 *
 * The kernel prints a kprobe argument as its fetch type says (`obsolete=+0x3a(%di):s16` → `-1`);
 * other printers do not always: libtraceevent (`trace-cmd report`, `perf script`) prints an s16
 * field holding -1 as `65535`. A value is therefore read as the type its probe declared, taken
 * from, in order:
 *  1. the probe definitions the input carries (kprobe_events lines of a console capture, the
 *     `@@PROBE_OK` / `@@DYNAMIC_EVENTS` block of our captures);
 *  2. event format headers (`name: EVENT` … `field:s16 obsolete; … signed:1;`, as
 *     `trace-cmd report --events` / tracefs `format` files print them);
 *  3. the probe map: an argument that fills a canonical field whose kernel type is fixed
 *     (`dst_entry.obsolete` is a `short` in every kernel) has that type.
 */
import type { ProbeMap } from './probemap.ts';

/** `s16`, `u32`, `x64`, `string`, `symbol`, `b4@2/32` (bitfields are unsigned). */
export type ArgType = string;

/** event name → arg name → declared type. */
export type DeclaredTypes = Map<string, Map<string, ArgType>>;

/** Where a type came from: what the reader reports. */
export type DeclaredSource = 'definition' | 'format' | 'probe-map';

/**
 * Kernel C types of canonical fields that are the same in every kernel we read (used only when
 * the trace does not declare the argument itself).
 */
const CANONICAL_C_TYPES: Readonly<Record<string, ArgType>> = {
  obsolete: 's16', // struct dst_entry: short obsolete
};

/** A kprobe_events definition line: `p[:[grp/]event] sym args`, `r10:grp/ev sym args`. */
const DEF_RE = /^\s*([pr])(\d*):(?:([^/\s]+)\/)?(\S+)\s+(\S+)(.*)$/;

export interface ProbeDefinition {
  type: 'entry' | 'return';
  group?: string;
  event: string;
  /** The probed place as written (`ipv4_dst_check`, `rt_bind_peer+84`, `0xffff...`). */
  place: string;
  args: Map<string, ArgType>;
}

/** Parse one kprobe_events line; undefined when it is not one. */
export function parseProbeDefinition(line: string): ProbeDefinition | undefined {
  const m = DEF_RE.exec(line);
  if (!m) return undefined;
  const args = new Map<string, ArgType>();
  for (const tok of m[6]!.trim().split(/\s+/)) {
    if (!tok) continue;
    const eq = tok.indexOf('=');
    if (eq <= 0) continue;
    const name = tok.slice(0, eq);
    // The type follows the LAST ':' of the fetch arg (`+0x58c(+0x500(+0(%di))):s32`).
    const colon = tok.lastIndexOf(':');
    const type = colon > eq ? tok.slice(colon + 1) : 'x64'; // no type: the kernel's default (x64 on 64-bit)
    args.set(name, type);
  }
  return { type: m[1] === 'r' ? 'return' : 'entry', group: m[3], event: m[4]!, place: m[5]!, args };
}

/**
 * Collects declarations from the text lines of an input (any order): probe definitions and
 * `name:` / `field:` format blocks.
 */
export class DeclarationCollector {
  readonly types: DeclaredTypes = new Map();
  readonly definitions = new Map<string, ProbeDefinition>();
  private formatEvent: string | undefined;

  /** Offer one line; returns true when it declared something. */
  line(s: string): boolean {
    if (s.length > 4096) return false; // no definition or format line is that long
    let t = s;
    if (t.startsWith('@@PROBE_OK ')) t = t.slice(11);
    if (t.charCodeAt(0) === 112 /* p */ || t.charCodeAt(0) === 114 /* r */) {
      const d = parseProbeDefinition(t);
      if (d && /^[A-Za-z_][\w.]*(?:\+\w+)?$|^0x[0-9a-f]+$/.test(d.place)) {
        this.definitions.set(d.event, d);
        const m = this.eventTypes(d.event);
        for (const [k, v] of d.args) m.set(k, v);
        return true;
      }
      return false;
    }
    const name = /^name:\s*(\S+)\s*$/.exec(t);
    if (name) {
      this.formatEvent = name[1];
      return true;
    }
    if (this.formatEvent !== undefined) {
      // field:s16 obsolete;	offset:32;	size:2;	signed:1;
      const f = /^\s*field:(.+?)\s+([A-Za-z_]\w*)(?:\[\d*\])?;\s*offset:\d+;\s*size:(\d+);\s*signed:([01]);/.exec(t);
      if (f) {
        const size = Number(f[3]);
        const signed = f[4] === '1';
        // Plain integers only (`__data_loc char[]` strings, arrays and pointers-as-text are not retyped).
        const intType = /^(?:(?:unsigned|signed)\s+)?(?:char|short|int|long|long long|[us](?:8|16|32|64))$/.test(f[1]!.trim());
        if (intType && !f[2]!.startsWith('common_') && !f[2]!.startsWith('__probe_') && [1, 2, 4, 8].includes(size)) {
          const m = this.eventTypes(this.formatEvent);
          if (!m.has(f[2]!)) m.set(f[2]!, `${signed ? 's' : 'u'}${size * 8}`);
        }
        return true;
      }
      if (/^print fmt:/.test(t)) this.formatEvent = undefined;
    }
    return false;
  }

  private eventTypes(ev: string): Map<string, ArgType> {
    let m = this.types.get(ev);
    if (!m) this.types.set(ev, (m = new Map()));
    return m;
  }
}

/**
 * Types implied by the probe map: args that fill a canonical field with a fixed kernel type.
 * `entry.X` names the paired entry's arg, `within.P.X` / `context.P.X` probe P's arg.
 */
export function typesFromMap(map: ProbeMap): DeclaredTypes {
  const out: DeclaredTypes = new Map();
  const entryOf = new Map<string, string>();
  for (const p of map.pairs ?? []) for (const r of p.return) if (!entryOf.has(r)) entryOf.set(r, p.entry);
  const put = (ev: string | undefined, arg: string, t: ArgType) => {
    if (!ev) return;
    let m = out.get(ev);
    if (!m) out.set(ev, (m = new Map()));
    if (!m.has(arg)) m.set(arg, t);
  };
  for (const rule of map.rules) {
    for (const e of rule.emit) {
      for (const [field, spec] of Object.entries(e.fields ?? {})) {
        const t = CANONICAL_C_TYPES[field];
        if (!t || spec === undefined) continue;
        const src = typeof spec === 'string' ? spec : spec.from;
        if (src.startsWith('$')) continue;
        const parts = src.split('.');
        if (parts.length === 1) put(rule.probe, src, t);
        else if (parts[0] === 'entry' && rule.probe) put(entryOf.get(rule.probe), parts[1]!, t);
        else if (parts[0] === 'within' || parts[0] === 'context') put(parts.slice(1, -1).join('.'), parts[parts.length - 1]!, t);
      }
    }
  }
  return out;
}

/** Width of a signed integer type (`s16` → 16), or 0 for anything else. */
function signedBits(t: ArgType): number {
  switch (t) {
    case 's8':
      return 8;
    case 's16':
      return 16;
    case 's32':
      return 32;
    case 's64':
      return 64;
    default:
      return 0;
  }
}
function hexBits(t: ArgType): number {
  switch (t) {
    case 'x8':
      return 8;
    case 'x16':
      return 16;
    case 'x32':
      return 32;
    case 'x64':
      return 64;
    default:
      return 0;
  }
}

/**
 * A printed value read as its declared type, printed the way the kernel prints that type
 * (signed decimal for sN, 0x hex for xN). Returns the input unchanged when it already is in
 * that form or is not a number (`(fault)`, strings).
 */
export function asDeclared(value: string, type: ArgType): string {
  const sb = signedBits(type);
  if (sb) {
    if (value.charCodeAt(0) === 45 /* - */) return value;
    let n: bigint;
    if (/^0[xX][0-9a-fA-F]+$/.test(value)) n = BigInt(value);
    else if (/^\d+$/.test(value)) n = BigInt(value);
    else return value;
    const w = BigInt(sb);
    // Only values that fit the declared width are re-read; anything wider is left for the map's decoding to judge.
    if (n >= 1n << w) return value;
    return BigInt.asIntN(sb, n).toString();
  }
  const xb = hexBits(type);
  if (xb) {
    // Bare hex digits: printers that drop the 0x of a hex field.
    if (/^[0-9a-fA-F]+$/.test(value)) return '0x' + value.toLowerCase().replace(/^0+(?=.)/, '');
    return value;
  }
  return value;
}

/**
 * Rewrites the `name=value` args of a body (from `from`) as their declared types. Values in
 * quotes are left alone. Returns the body unchanged (the same string) when nothing changed.
 */
export function retypeArgs(body: string, types: Map<string, ArgType>): string {
  let out = '';
  let last = 0;
  const re = /(^|\s)([A-Za-z_]\w*)=(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const t = types.get(m[2]!);
    if (t === undefined) continue;
    const v = m[3]!;
    if (v.charCodeAt(0) === 34 /* " */) continue;
    const nv = asDeclared(v, t);
    if (nv === v) continue;
    const at = m.index + m[1]!.length + m[2]!.length + 1;
    out += body.slice(last, at) + nv;
    last = at + v.length;
  }
  return last === 0 ? body : out + body.slice(last);
}

/** Merge `b` under `a` (a's entries win). */
export function mergeTypes(a: DeclaredTypes, b: DeclaredTypes): DeclaredTypes {
  const out: DeclaredTypes = new Map();
  for (const src of [b, a]) {
    for (const [ev, m] of src) {
      let o = out.get(ev);
      if (!o) out.set(ev, (o = new Map()));
      for (const [k, v] of m) o.set(k, v);
    }
  }
  return out;
}
