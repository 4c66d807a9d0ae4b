/**
 * Probe maps: a small declarative JSON document saying which trace event (probe) and which
 * fetch-arg fields mean which canonical event (src/trace/events.ts) and field, and how the
 * kernel printed the values. The trace readers compile a map once into per-probe plans, so the
 * map is data, never code: users pass their own with `--probes FILE`, the probe generator
 * (src/probes) and the QEMU harness emit maps in this format for the probes they register.
 *
 * ## The JSON form
 *
 * ```jsonc
 * {
 *   "name": "linux-3.0-seed",            // required: [A-Za-z0-9._-]+
 *   "description": "...",                // optional
 *   "era": "seed",                        // optional hint for replay (model profile)
 *   "extends": "debian-6.1-rtg",          // optional: a built-in map whose rules/pairs/ignore come first
 *   "radix": "hex",                       // numbers without 0x: "auto" (default: decimal) | "hex" | "dec".
 *                                         //   Linux 3.0 prints every unsigned value in hex WITHOUT 0x.
 *                                         //   A leading '-' always means signed decimal.
 *   "ipv4": "le",                         // u32 addresses: "le" (network order read little-endian,
 *                                         //   0x500010a -> 10.1.0.5; default) | "be"
 *   "stripCallerSuffixes": true,          // caller `rt_set_nexthop.constprop.0` matches `rt_set_nexthop`
 *                                         //   (.constprop.N .isra.N .part.N .cold); default true
 *   "pairs": [                            // entry/return pairing, per call context (callctx.ts)
 *     { "entry": "getpeer", "return": ["getpeer_ret"], "within": [] }
 *   ],
 *   "ignore": ["dst_release"],            // known probes that produce no canonical event (counted as ignored)
 *   "markers": ["tracing_mark_write"],    // extra marker event names (built in: tracing_mark_write, print, 0)
 *   "rules": [ ...ProbeRule ]
 * }
 * ```
 *
 * A rule matches trace lines by `probe` (the event name as printed, without group), or by
 * `func` + `type` (the probed function, for probes named automatically like `p_inet_getpeer_0`).
 * Rules are tried in order; the first whose `caller` and `when` match emits its events. A mapped
 * probe line that no rule matches is counted as "unmatched" with its probe and caller.
 *
 * ```jsonc
 * { "probe": "getpeer_ret",
 *   "caller": ["ipv4_dst_check"],        // return probes: the caller symbol (offset ignored: +0x11d, +0x4 on IBT);
 *                                         //   "*" any known caller, "?" the `[unknown/kretprobe'd]` caller
 *   "when": [{ "value": "peer", "op": "nonzero" }],
 *   "emit": [
 *     { "kind": "bind", "at": "entry", "set": { "create": 0 },
 *       "fields": { "rt": "context.dst_check.rt", "daddr": "entry.daddr" } },
 *     { "kind": "bind_ret", "fields": { "rt": "context.dst_check.rt", "peer": "peer" } }
 *   ] }
 * ```
 *
 * Pairing: an entry probe of `pairs` opens a call in its call context (callctx.ts: pid; CPU for
 * pid 0; CPU and level in an interrupt the flags show); a return probe closes the innermost open
 * call of its entry in that context. A return whose caller prints as
 * `[unknown/kretprobe'd]` (a second kretprobe on the same function) reads the call without closing
 * it: the return that names its caller closes it. A gap (lost events) forgets every open call.
 * A return probe belongs to the first pair that lists it.
 *
 * Field sources (the value of a `fields` entry, or `{ "from": SOURCE, "radix": ..., "ipv4": ... }`):
 * - `name`                    the fetch arg `name=` of this line;
 * - `entry.name`              the paired entry's arg (a return probe of a `pairs` entry);
 * - `within.PROBE.name`       a probe that fired inside the same call (listed in the pair's `within`);
 * - `context.PROBE.name`      the innermost still-open call of PROBE on the same task (PROBE must be a
 *                             pair entry): e.g. the route of the `dst_check` a `getpeer` runs in;
 * - `$caller`, `$func`, `$text` the caller symbol, the probed function, the whole body text.
 * A source that is absent (no such arg, no entry, no open context) leaves the field absent: the
 * reader never guesses.
 *
 * Decoding is by canonical field: pointers (rt, peer, peerBefore, ret, net, fnhe, dev) become
 * lower-case 0x hex ("0x0" for NULL; decimal u64 is converted); addresses (daddr, gateway,
 * oldGateway, rtGateway) dotted quads; genids (rtGenid, genid, old, new, fnheGenid,
 * exceptionGenid) u32 (`>>> 0`); other numbers as numbers; text/counter as strings.
 *
 * `when` conditions: `{ "value": SOURCE, "op": "zero"|"nonzero"|"errptr"|"noterrptr"|"eq"|"ne"
 * |"present"|"absent", "to"?: number|string }`. A line whose conditions fail is counted as
 * "filtered" (e.g. find_exception returning NULL, an ERR_PTR route). `emit: []` means a known
 * probe that produces nothing itself (e.g. an entry only used through pairing).
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type { CanonicalEvent, EventKind } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import { badInput } from '../core/errors.ts';

export type Radix = 'auto' | 'hex' | 'dec';
export type Ipv4Order = 'le' | 'be';

/** Where a canonical field's value comes from (see the module comment). */
export type FieldSourceSpec = string | { from: string; radix?: Radix; ipv4?: Ipv4Order };

export type ConditionOp = 'zero' | 'nonzero' | 'errptr' | 'noterrptr' | 'eq' | 'ne' | 'present' | 'absent';
export interface ConditionSpec {
  value: string;
  op: ConditionOp;
  to?: number | string;
}

/** Canonical fields a map may fill (everything but kind/file/line and the line's own context). */
export type MappableField = Exclude<keyof CanonicalEvent, 'kind' | 'file' | 'line' | 'ts' | 'cpu' | 'task' | 'pid' | 'irq' | 'probe' | 'caller' | 'unpaired'>;

export interface EmitSpec {
  kind: EventKind;
  /** Which line the event reports: this line (default) or the paired entry's line. */
  at?: 'self' | 'entry';
  fields?: Partial<Record<MappableField, FieldSourceSpec>>;
  /** Constant fields (`create: 0` for the check's lookup-only bind, `counter: 'peer'`). */
  set?: Partial<Record<MappableField, string | number>>;
}

export interface ProbeRule {
  /** The trace event name, without group (`dst_check`, `getpeer_ret`). */
  probe?: string;
  /** Optional group (`rtg`, `kprobes`): informational; ftrace text does not print it. */
  group?: string;
  /** Alternative match: the probed function (`inet_getpeer`) and whether entry or return. */
  func?: string;
  type?: 'entry' | 'return';
  /** Return probes: caller symbols (offsets ignored), "*" any known, "?" unknown. */
  caller?: string[];
  /** Callers that make the rule NOT match (checked before `caller`). */
  callerNot?: string[];
  when?: ConditionSpec[];
  emit: EmitSpec[];
  /** Free text for humans (why this derivation holds). */
  note?: string;
}

export interface PairSpec {
  /** Entry probe name. */
  entry: string;
  /** Return probe names that close it. */
  return: string[];
  /** Probes that fire inside the call and are remembered on it (`within.PROBE.arg`). */
  within?: string[];
}

export interface ProbeMapJson {
  name: string;
  description?: string;
  era?: string;
  extends?: string;
  radix?: Radix;
  ipv4?: Ipv4Order;
  stripCallerSuffixes?: boolean;
  pairs?: PairSpec[];
  ignore?: string[];
  markers?: string[];
  rules: ProbeRule[];
}

/** A validated map, with where it came from. Built-in maps have `source: 'builtin:NAME'`. */
export interface ProbeMap extends ProbeMapJson {
  source: string;
}

/** The type of each mappable canonical field: decides how raw values are decoded. */
export const FIELD_TYPES: Readonly<Record<MappableField, 'pointer' | 'ipv4' | 'u32' | 'number' | 'string'>> = {
  rt: 'pointer', peer: 'pointer', peerBefore: 'pointer', ret: 'pointer', net: 'pointer',
  fnhe: 'pointer', dev: 'pointer',
  daddr: 'ipv4', gateway: 'ipv4', oldGateway: 'ipv4', rtGateway: 'ipv4',
  rtGenid: 'u32', genid: 'u32', old: 'u32', new: 'u32', fnheGenid: 'u32', exceptionGenid: 'u32',
  create: 'number', mtu: 'number', rtMtu: 'number', flags: 'number', obsolete: 'number',
  oldMtu: 'number',
  pmtuLearned: 'number', pmtuOrig: 'number', pmtuExpires: 'number', now: 'number', devMtu: 'number', mtuMetric: 'number', mtuMetricRo: 'number',
  icmpMtu: 'number', minPmtu: 'number', metrics: 'pointer', redirectLearned: 'ipv4',
  text: 'string', counter: 'string',
};

const SOURCE_RE = /^(?:\$caller|\$func|\$text|[A-Za-z_][A-Za-z0-9_]*|entry\.[A-Za-z_][A-Za-z0-9_]*|(?:within|context)\.[A-Za-z0-9_.$-]+\.[A-Za-z_][A-Za-z0-9_]*)$/;

/** JSON schema of a probe map (draft-07; ajv). Semantic checks follow in parseProbeMap. */
export const PROBE_MAP_SCHEMA = {
  $id: 'https://peerprop.dev/schemas/probe-map.json',
  type: 'object',
  required: ['name', 'rules'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
    description: { type: 'string' },
    era: { type: 'string' },
    extends: { type: 'string' },
    radix: { enum: ['auto', 'hex', 'dec'] },
    ipv4: { enum: ['le', 'be'] },
    stripCallerSuffixes: { type: 'boolean' },
    pairs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['entry', 'return'],
        additionalProperties: false,
        properties: {
          entry: { type: 'string', minLength: 1 },
          return: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          within: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
    ignore: { type: 'array', items: { type: 'string', minLength: 1 } },
    markers: { type: 'array', items: { type: 'string', minLength: 1 } },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['emit'],
        additionalProperties: false,
        properties: {
          probe: { type: 'string', minLength: 1 },
          group: { type: 'string' },
          func: { type: 'string', minLength: 1 },
          type: { enum: ['entry', 'return'] },
          caller: { type: 'array', items: { type: 'string', minLength: 1 } },
          callerNot: { type: 'array', items: { type: 'string', minLength: 1 } },
          note: { type: 'string' },
          when: {
            type: 'array',
            items: {
              type: 'object',
              required: ['value', 'op'],
              additionalProperties: false,
              properties: {
                value: { type: 'string' },
                op: { enum: ['zero', 'nonzero', 'errptr', 'noterrptr', 'eq', 'ne', 'present', 'absent'] },
                to: { type: ['number', 'string'] },
              },
            },
          },
          emit: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind'],
              additionalProperties: false,
              properties: {
                kind: { type: 'string' },
                at: { enum: ['self', 'entry'] },
                fields: {
                  type: 'object',
                  additionalProperties: {
                    anyOf: [
                      { type: 'string' },
                      {
                        type: 'object',
                        required: ['from'],
                        additionalProperties: false,
                        properties: {
                          from: { type: 'string' },
                          radix: { enum: ['auto', 'hex', 'dec'] },
                          ipv4: { enum: ['le', 'be'] },
                        },
                      },
                    ],
                  },
                },
                set: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
              },
            },
          },
        },
      },
    },
  },
} as const;

/**
 * Loaded and compiled at the first map that needs it: ajv takes about a tenth of a second to load
 * and compile the schema, which a command reading only the shipped maps does not pay.
 */
let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    validator = new Ajv({ allErrors: false, strict: false }).compile(PROBE_MAP_SCHEMA);
  }
  return validator;
}

function sourceOf(spec: FieldSourceSpec): string {
  return typeof spec === 'string' ? spec : spec.from;
}

/**
 * Validate a parsed JSON value as a probe map. Throws PeerpropError (exit 2) naming the source
 * and the JSON path of the first problem. `extends` is resolved against the built-in maps.
 * `shipped`: a map that ships with the program (src/trace/maps/): its JSON-schema part is checked
 * by the tests, not at each start; the checks below run all the same.
 */
export function parseProbeMap(json: unknown, source: string, builtins?: readonly ProbeMap[], opts: { shipped?: boolean } = {}): ProbeMap {
  if (!opts.shipped) {
    const validate = schemaValidator();
    if (!validate(json)) {
      const e = validate.errors?.[0];
      const where = e?.instancePath || '/';
      throw badInput(`probe map: ${where}: ${e?.message ?? 'invalid'}`, { file: source });
    }
  }
  const m = json as ProbeMapJson;
  const fail = (path: string, msg: string): never => {
    throw badInput(`probe map: ${path}: ${msg}`, { file: source });
  };
  const pairEntries = new Set<string>();
  const within = new Set<string>();
  m.pairs?.forEach((p) => {
    pairEntries.add(p.entry);
    p.within?.forEach((w) => within.add(`${p.entry}.${w}`));
  });
  let base: ProbeMap | undefined;
  if (m.extends !== undefined) {
    base = (builtins ?? []).find((b) => b.name === m.extends);
    if (!base) fail('/extends', `no built-in probe map named '${m.extends}'`);
    base!.pairs?.forEach((p) => {
      pairEntries.add(p.entry);
      p.within?.forEach((w) => within.add(`${p.entry}.${w}`));
    });
  }
  m.rules.forEach((r, i) => {
    const at = `/rules/${i}`;
    if (r.probe === undefined && r.func === undefined) fail(at, "needs 'probe' or 'func'");
    if (r.func !== undefined && r.type === undefined) fail(at, "'func' needs 'type' (entry or return)");
    const checkSource = (path: string, src: string) => {
      if (!SOURCE_RE.test(src)) fail(path, `bad field source '${src}'`);
      const m2 = /^context\.(.+)\.[^.]+$/.exec(src);
      if (m2 && !pairEntries.has(m2[1]!)) fail(path, `context '${m2[1]}' is not a pair entry`);
    };
    r.when?.forEach((c, j) => checkSource(`${at}/when/${j}/value`, c.value));
    r.emit.forEach((e, j) => {
      const ep = `${at}/emit/${j}`;
      if (!(EVENT_KINDS as readonly string[]).includes(e.kind)) fail(`${ep}/kind`, `unknown event kind '${e.kind}'`);
      for (const [f, spec] of Object.entries(e.fields ?? {})) {
        if (!(f in FIELD_TYPES)) fail(`${ep}/fields/${f}`, `not a canonical field`);
        checkSource(`${ep}/fields/${f}`, sourceOf(spec as FieldSourceSpec));
      }
      for (const [f, v] of Object.entries(e.set ?? {})) {
        if (!(f in FIELD_TYPES)) fail(`${ep}/set/${f}`, `not a canonical field`);
        const t = FIELD_TYPES[f as MappableField];
        if ((t === 'string' || t === 'pointer' || t === 'ipv4') !== (typeof v === 'string')) {
          fail(`${ep}/set/${f}`, `expected a ${t === 'string' || t === 'pointer' || t === 'ipv4' ? 'string' : 'number'}`);
        }
      }
    });
  });
  if (!base) return { ...m, source };
  return {
    ...base,
    ...m,
    source,
    extends: m.extends,
    pairs: [...(base.pairs ?? []), ...(m.pairs ?? [])],
    ignore: [...(base.ignore ?? []), ...(m.ignore ?? [])],
    markers: [...(base.markers ?? []), ...(m.markers ?? [])],
    // The extending map's rules come first: it refines the base.
    rules: [...m.rules, ...base.rules],
  };
}

/** Every probe name a map knows (rules, pairs, ignore list, markers). */
export function knownProbeNames(map: ProbeMapJson): Set<string> {
  const s = new Set<string>();
  for (const r of map.rules) if (r.probe) s.add(r.probe);
  for (const p of map.pairs ?? []) {
    s.add(p.entry);
    p.return.forEach((x) => s.add(x));
    p.within?.forEach((x) => s.add(x));
  }
  map.ignore?.forEach((x) => s.add(x));
  return s;
}
