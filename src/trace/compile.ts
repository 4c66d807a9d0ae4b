/**
 * A probe map compiled into per-probe plans, and the Emitter that turns parsed probe lines into
 * canonical events: argument extraction by precomputed `name=` keys, rule matching on the caller
 * symbol and conditions, entry/return pairing per task, `within` and `context` lookups.
 */
import type { CanonicalEvent, EventKind } from './events.ts';
import { EVENT_KINDS } from './events.ts';
import type { ConditionOp, FieldSourceSpec, Ipv4Order, MappableField, ProbeMap, Radix } from './probemap.ts';
import { FIELD_TYPES } from './probemap.ts';
import {
  decodeIpv4, decodeNumber, decodePointer, decodeString, decodeU32, internString, ipv4OfU32, isErrPtr, numberFromBytes, pointerFromBytes,
} from './decode.ts';
import { symbolName, isUnknownCaller, latin1, type ParsedLine } from './lineparse.ts';
import { callKey, irqLevelOfLine } from './callctx.ts';

/**
 * A canonical event with every field declared, so all events share one object shape (fast for
 * the reader and for whoever consumes them). Unobserved fields are undefined.
 */
export class Ev implements CanonicalEvent {
  declare kind: EventKind;
  declare file: string;
  declare line: number;
  declare ts: number | undefined;
  declare cpu: number | undefined;
  declare task: string | undefined;
  declare pid: number | undefined;
  /** Interrupt level when the line's flags show one (callctx.ts); set only then. */
  declare irq: number | undefined;
  declare probe: string | undefined;
  declare caller: string | undefined;
  declare rt: string | undefined;
  declare daddr: string | undefined;
  declare peer: string | undefined;
  declare peerBefore: string | undefined;
  declare create: number | undefined;
  declare rtGenid: number | undefined;
  declare genid: number | undefined;
  declare ret: string | undefined;
  declare old: number | undefined;
  declare new: number | undefined;
  declare mtu: number | undefined;
  declare gateway: string | undefined;
  declare oldGateway: string | undefined;
  declare rtGateway: string | undefined;
  declare rtMtu: number | undefined;
  declare flags: number | undefined;
  declare obsolete: number | undefined;
  declare net: string | undefined;
  declare fnheGenid: number | undefined;
  declare exceptionGenid: number | undefined;
  declare counter: 'peer' | 'rt' | 'fnhe' | undefined;
  declare text: string | undefined;
  declare fnhe: string | undefined;
  declare dev: string | undefined;
  declare oldMtu: number | undefined;
  declare pmtuLearned: number | undefined;
  declare pmtuOrig: number | undefined;
  declare pmtuExpires: number | undefined;
  declare now: number | undefined;
  declare redirectLearned: string | undefined;
  declare devMtu: number | undefined;
  declare metrics: string | undefined;
  declare mtuMetric: number | undefined;
  declare mtuMetricRo: number | undefined;
  declare icmpMtu: number | undefined;
  declare minPmtu: number | undefined;
  constructor(
    kind: EventKind, file: string, line: number, ts?: number, cpu?: number, task?: string, pid?: number,
    probe?: string, caller?: string,
  ) {
    // Assignments in the constructor (not class fields): one hidden class, fastest allocation.
    this.kind = kind;
    this.file = file;
    this.line = line;
    this.ts = ts;
    this.cpu = cpu;
    this.task = task;
    this.pid = pid;
    this.probe = probe;
    this.caller = caller;
    this.rt = undefined;
    this.daddr = undefined;
    this.peer = undefined;
    this.peerBefore = undefined;
    this.create = undefined;
    this.rtGenid = undefined;
    this.genid = undefined;
    this.ret = undefined;
    this.old = undefined;
    this.new = undefined;
    this.mtu = undefined;
    this.gateway = undefined;
    this.oldGateway = undefined;
    this.rtGateway = undefined;
    this.rtMtu = undefined;
    this.flags = undefined;
    this.obsolete = undefined;
    this.net = undefined;
    this.fnheGenid = undefined;
    this.exceptionGenid = undefined;
    this.counter = undefined;
    this.text = undefined;
    this.fnhe = undefined;
    this.dev = undefined;
    this.oldMtu = undefined;
    this.pmtuLearned = undefined;
    this.pmtuOrig = undefined;
    this.pmtuExpires = undefined;
    this.now = undefined;
    this.redirectLearned = undefined;
    this.devMtu = undefined;
    this.metrics = undefined;
    this.mtuMetric = undefined;
    this.mtuMetricRo = undefined;
    this.icmpMtu = undefined;
    this.minPmtu = undefined;
  }
}

enum Src { Self, Entry, Within, Context, Caller, Func, Text }

/**
 * A view: one decoding of one argument slot (a pointer, an address in a byte order, a number in a
 * radix, a string, or mere presence). Every reader of a value (an event field, a condition, a
 * return reading its entry's value) names a view of the plan that owns the argument; a line's
 * views are all decoded once, when the line is read, straight from its bytes or text. Open calls
 * keep decoded views, never text, so a return reads its entry's values without decoding again.
 */
type ViewType = (typeof FIELD_TYPES)[MappableField] | 'present';
interface ViewSpec {
  slot: number;
  type: ViewType;
  radix: Radix;
  ipv4: Ipv4Order;
}
/** A decoded view: the canonical value, or undefined when the argument is absent or does not decode. */
type ViewValue = string | number | undefined;
/** Decodes a line's args (ASCII bytes buf[pos..len)) into the plan's views; false when the line does not fit. */
type Decoder = (buf: Buffer, pos: number, len: number, vv: ViewValue[]) => boolean;

interface FieldGetter {
  src: Src;
  /** Index in the owning plan's views (self / entry / within / context), -1 for the others. */
  view: number;
  /** within/context: the probe whose values are read. */
  probe: string;
}

interface CompiledField extends FieldGetter {
  field: MappableField;
  type: (typeof FIELD_TYPES)[MappableField];
  radix: Radix;
  ipv4: Ipv4Order;
}

interface CompiledCond extends FieldGetter {
  /** The presence view of the same argument (conditions other than present/absent fail on an absent value). */
  presence: number;
  op: ConditionOp;
  to: number | string | undefined;
  /** How the value is decoded (for text sources: $caller, $func, $text). */
  decodeAs: { type: ViewType; radix: Radix; ipv4: Ipv4Order };
}

/** Sets an event's fields from the line's views (generated per emit: direct property stores). */
type Fill = (ev: Ev, sv: ViewValue[], call: PendingCall | undefined, em: Emitter, taskKey: number, callerText: string | undefined, pl: ParsedLine) => void;

interface CompiledEmit {
  kind: EventKind;
  kindId: number;
  atEntry: boolean;
  fill: Fill;
}

interface CompiledRule {
  callers: Set<string> | undefined;
  anyKnownCaller: boolean;
  unknownCaller: boolean;
  callerNot: Set<string> | undefined;
  conds: CompiledCond[];
  emits: CompiledEmit[];
}

export interface ProbePlan {
  name: string;
  keys: string[];
  nargs: number;
  argIndex: Map<string, number>;
  /** What is decoded from each line of this probe (see ViewSpec). */
  views: ViewSpec[];
  viewIndex: Map<string, number>;
  /** Scratch: the current line's decoded views. */
  vv: ViewValue[];
  rules: CompiledRule[];
  ignored: boolean;
  /** This probe opens a call others pair with (pending entry). */
  isEntry: boolean;
  /** This probe closes calls of that entry probe. */
  returnOf: string | undefined;
  /** Entry probes whose open call this probe is remembered in. */
  withinOf: string[];
  /** Rules need the caller symbol. */
  needsCaller: boolean;
  /** Lines seen. */
  hits: number;
  /** No rules, no pairing role: its lines need no parsing beyond the name. */
  passive: boolean;
  /**
   * The args layout learned from the first line of this probe (a probe prints its args in the
   * same order every time): per token, the wanted key index or -1, the `name=` length and the
   * name's first character. Lines that do not fit fall back to the generic scan.
   */
  layoutKey: Int16Array | undefined;
  layoutLen: Int16Array | undefined;
  layoutFirst: Int32Array | undefined;
  /** The layout as a generated byte decoder (compileDecoder), undefined until one is learned. */
  decode: Decoder | undefined;
  /** Last caller seen (raw `sym+off/size` text, its interned `sym+off` and symbol): callers repeat. */
  lastCallerRaw: string;
  lastCallerText: string | undefined;
  lastCallerSym: string | undefined;
  /** Recent callers (raw `sym+off/size`, interned text, symbol) for the byte path: a few callers repeat. */
  callerRaws: string[];
  callerHashes: number[];
  callerTexts: (string | undefined)[];
  callerSyms: (string | undefined)[];
  lastCaller: number;
  /** Entry probes: index of this probe's open-call table in an Emitter (-1 otherwise). */
  entryId: number;
  /** Return probes: entryId of the entry probe they close (-1 otherwise). */
  returnOfId: number;
}

interface PendingCall {
  /** The entry line's decoded views. */
  vv: ViewValue[];
  line: number;
  ts: number;
  within: Map<string, ViewValue[]> | undefined;
}

/** Hash of a name as parseEventBytes computes it from the name's bytes. */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return h;
}

/** Probe plans by name, looked up by a range of the line without cutting the name out. */
export class PlanIndex {
  private readonly byLen: (ProbePlan[] | undefined)[] = [];
  /** Open addressing on the name hash: plan slots (+1; 0 = empty) and their hashes. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly list: ProbePlan[];
  constructor(plans: Iterable<ProbePlan>) {
    this.list = [...plans];
    for (const p of this.list) (this.byLen[p.name.length] ??= []).push(p);
    let size = 16;
    while (size < this.list.length * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.list.forEach((p, i) => {
      const h = nameHash(p.name);
      let s = h & (size - 1);
      while (this.slots[s] !== 0) s = (s + 1) & (size - 1);
      this.slots[s] = i + 1;
      this.hashes[s] = h;
    });
  }
  find(s: string, start: number, end: number): ProbePlan | undefined {
    const cands = this.byLen[end - start];
    if (cands === undefined) return undefined;
    const len = end - start;
    outer: for (let i = 0; i < cands.length; i++) {
      const name = cands[i]!.name;
      for (let k = 0; k < len; k++) if (name.charCodeAt(k) !== s.charCodeAt(start + k)) continue outer;
      return cands[i];
    }
    return undefined;
  }
  /** The same, for a name held as bytes buf[start..end) whose nameHash is `hash`. */
  findBytes(buf: Buffer, start: number, end: number, hash: number): ProbePlan | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const i = slots[s]!;
      if (i === 0) return undefined;
      if (this.hashes[s] !== hash) continue;
      const p = this.list[i - 1]!;
      const name = p.name;
      if (name.length !== len) continue;
      let k = len - 1;
      while (k >= 0 && name.charCodeAt(k) === buf[start + k]) k--;
      if (k < 0) return p;
    }
  }
}

export interface CompiledMap {
  map: ProbeMap;
  plans: Map<string, ProbePlan>;
  index: PlanIndex;
  /** `func|entry` / `func|return` → plan, for rules matched by function. */
  funcPlans: Map<string, ProbePlan>;
  markers: Set<string>;
  stripSuffixes: boolean;
}

function parseSource(spec: FieldSourceSpec): { src: Src; probe: string; arg: string } {
  const s = typeof spec === 'string' ? spec : spec.from;
  if (s === '$caller') return { src: Src.Caller, probe: '', arg: '' };
  if (s === '$func') return { src: Src.Func, probe: '', arg: '' };
  if (s === '$text') return { src: Src.Text, probe: '', arg: '' };
  if (s.startsWith('entry.')) return { src: Src.Entry, probe: '', arg: s.slice(6) };
  if (s.startsWith('within.') || s.startsWith('context.')) {
    const kind = s.startsWith('within.') ? Src.Within : Src.Context;
    const rest = s.slice(kind === Src.Within ? 7 : 8);
    const dot = rest.lastIndexOf('.');
    return { src: kind, probe: rest.slice(0, dot), arg: rest.slice(dot + 1) };
  }
  return { src: Src.Self, probe: '', arg: s };
}

export const BUILTIN_MARKERS = ['tracing_mark_write', 'print', '0'];

function newPlan(name: string): ProbePlan {
  return {
    name, keys: [], nargs: 0, argIndex: new Map(), views: [], viewIndex: new Map(), vv: [], rules: [], ignored: false,
    isEntry: false, returnOf: undefined, withinOf: [], needsCaller: false, hits: 0, passive: false,
    lastCallerRaw: '', lastCallerText: undefined, lastCallerSym: undefined,
    layoutKey: undefined, layoutLen: undefined, layoutFirst: undefined, decode: undefined,
    callerRaws: [], callerHashes: [], callerTexts: [], callerSyms: [], lastCaller: 0, entryId: -1, returnOfId: -1,
  };
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The fill function of one emit: its constant `set` values, then each field from its view
 * (a defined value overrides the constant). Generated, so every store is a direct property store
 * on the one Ev shape; only canonical field names (identifiers) and JSON literals enter the code.
 */
function compileFill(set: [MappableField, string | number][], fields: CompiledField[]): Fill {
  const lines: string[] = ['const cv = call === undefined ? undefined : call.vv;', 'let v;'];
  // One local per within/context probe read, declared once at the top.
  const locals = new Map<string, string>();
  const local = (name: string, init: string): string => {
    let v = locals.get(init);
    if (v === undefined) {
      locals.set(init, (v = name));
      lines.splice(2, 0, `const ${v} = ${init};`);
    }
    return v;
  };
  for (const [f, v] of set) {
    if (!IDENT.test(f) || !(f in FIELD_TYPES)) throw new Error(`not a canonical field: ${f}`);
    lines.push(`ev.${f} = ${JSON.stringify(v)};`);
  }
  fields.forEach((f, k) => {
    if (!IDENT.test(f.field) || !(f.field in FIELD_TYPES)) throw new Error(`not a canonical field: ${f.field}`);
    let get: string;
    switch (f.src) {
      case Src.Self:
        get = f.view < 0 ? 'undefined' : `sv[${f.view}]`;
        break;
      case Src.Entry:
        get = f.view < 0 ? 'undefined' : `(cv === undefined ? undefined : cv[${f.view}])`;
        break;
      case Src.Within: {
        const w = local(`w${locals.size}`, `call === undefined || call.within === undefined ? undefined : call.within.get(${JSON.stringify(f.probe)})`);
        get = `(${w} === undefined ? undefined : ${w}[${f.view}])`;
        break;
      }
      case Src.Context: {
        const c = local(`c${locals.size}`, `em.contextViews(${JSON.stringify(f.probe)}, taskKey)`);
        get = `(${c} === undefined ? undefined : ${c}[${f.view}])`;
        break;
      }
      case Src.Caller:
        get = `em.textField(callerText, F[${k}])`;
        break;
      case Src.Func:
        get = `em.textField(em.funcOf(pl), F[${k}])`;
        break;
      case Src.Text:
        get = `em.textField(em.textOf(pl), F[${k}])`;
        break;
    }
    lines.push(`v = ${get}; if (v !== undefined) ev.${f.field} = v;`);
  });
  const body = `return function fill(ev, sv, call, em, taskKey, callerText, pl) {\n${lines.join('\n')}\n};`;
  return new Function('F', body)(fields) as Fill;
}

/** Compile a validated map. */
export function compileMap(map: ProbeMap): CompiledMap {
  const radix = map.radix ?? 'auto';
  const ipv4 = map.ipv4 ?? 'le';
  const plans = new Map<string, ProbePlan>();
  const funcPlans = new Map<string, ProbePlan>();
  const plan = (name: string): ProbePlan => {
    let p = plans.get(name);
    if (!p) plans.set(name, (p = newPlan(name)));
    return p;
  };
  const slotOf = (p: ProbePlan, arg: string): number => {
    let i = p.argIndex.get(arg);
    if (i === undefined) {
      i = p.nargs++;
      p.argIndex.set(arg, i);
      p.keys.push(arg + '=');
    }
    return i;
  };
  const viewOf = (p: ProbePlan, arg: string, type: ViewType, r: Radix, order: Ipv4Order): number => {
    const slot = slotOf(p, arg);
    const key = `${slot}|${type}|${r}|${order}`;
    let v = p.viewIndex.get(key);
    if (v === undefined) {
      v = p.views.length;
      p.views.push({ slot, type, radix: r, ipv4: order });
      p.viewIndex.set(key, v);
    }
    return v;
  };
  for (const pair of map.pairs ?? []) {
    plan(pair.entry).isEntry = true;
    for (const r of pair.return) plan(r).returnOf ??= pair.entry;
    for (const w of pair.within ?? []) plan(w).withinOf.push(pair.entry);
  }
  for (const name of map.ignore ?? []) plan(name).ignored = true;

  for (const rule of map.rules) {
    let p: ProbePlan;
    if (rule.probe !== undefined) p = plan(rule.probe);
    else {
      const key = `${rule.func}|${rule.type}`;
      let fp = funcPlans.get(key);
      if (!fp) funcPlans.set(key, (fp = newPlan(rule.func!)));
      p = fp;
    }
    // A value is read through a view of the plan that owns the argument: this plan (self), the
    // entry it returns from, or the probe named by within./context.
    const getter = (spec: FieldSourceSpec, type: ViewType, r: Radix, order: Ipv4Order): FieldGetter => {
      const s = parseSource(spec);
      let owner: ProbePlan | undefined;
      if (s.src === Src.Self) owner = p;
      else if (s.src === Src.Entry) owner = p.returnOf ? plan(p.returnOf) : undefined;
      else if (s.src === Src.Within || s.src === Src.Context) owner = plan(s.probe);
      return { src: s.src, view: owner ? viewOf(owner, s.arg, type, r, order) : -1, probe: s.probe };
    };
    const callers = rule.caller?.filter((c) => c !== '*' && c !== '?');
    const conds: CompiledCond[] = (rule.when ?? []).map((c) => {
      const type: ViewType =
        c.op === 'present' || c.op === 'absent' ? 'present'
          : c.op === 'eq' || c.op === 'ne' ? (typeof c.to === 'number' ? 'number' : 'string')
            : 'pointer';
      const g = getter(c.value, type, radix, ipv4);
      return { ...g, presence: getter(c.value, 'present', radix, ipv4).view, op: c.op, to: c.to, decodeAs: { type, radix, ipv4 } };
    });
    const compiled: CompiledRule = {
      callers: callers?.length ? new Set(callers) : undefined,
      anyKnownCaller: rule.caller?.includes('*') ?? false,
      unknownCaller: rule.caller?.includes('?') ?? false,
      callerNot: rule.callerNot ? new Set(rule.callerNot) : undefined,
      conds,
      emits: rule.emit.map((e) => {
        const fields = Object.entries(e.fields ?? {}).map(([f, spec]): CompiledField => {
          const field = f as MappableField;
          const sp = spec as FieldSourceSpec;
          const r = (typeof sp === 'object' && sp.radix) || radix;
          const order = (typeof sp === 'object' && sp.ipv4) || ipv4;
          return { ...getter(sp, FIELD_TYPES[field], r, order), field, type: FIELD_TYPES[field], radix: r, ipv4: order };
        });
        return {
          kind: e.kind,
          kindId: EVENT_KINDS.indexOf(e.kind),
          atEntry: e.at === 'entry',
          fill: compileFill(Object.entries(e.set ?? {}) as [MappableField, string | number][], fields),
        };
      }),
    };
    if (rule.caller || rule.callerNot) p.needsCaller = true;
    p.rules.push(compiled);
  }
  for (const p of [...plans.values(), ...funcPlans.values()]) {
    p.passive = p.rules.length === 0 && !p.isEntry && p.returnOf === undefined && p.withinOf.length === 0;
    p.vv = new Array<ViewValue>(p.views.length).fill(undefined);
  }
  // Open-call tables are indexed by entry probe, so pairing needs no lookup by name.
  const entryIds = new Map<string, number>();
  for (const p of plans.values()) if (p.isEntry) entryIds.set(p.name, entryIds.size);
  for (const p of [...plans.values(), ...funcPlans.values()]) {
    p.entryId = p.isEntry ? entryIds.get(p.name) ?? -1 : -1;
    p.returnOfId = p.returnOf !== undefined ? entryIds.get(p.returnOf) ?? -1 : -1;
  }
  const markers = new Set([...BUILTIN_MARKERS, ...(map.markers ?? [])]);
  for (const m of markers) plans.delete(m);
  return { map, plans, index: new PlanIndex(plans.values()), funcPlans, markers, stripSuffixes: map.stripCallerSuffixes ?? true };
}

/** What the emitter did with one probe line. */
export enum Outcome { Emitted, Paired, Ignored, Unmatched, Filtered }

const MAX_STACK = 64;
/** Distinct callers remembered per return probe (the byte path compares a line's caller with them). */
const MAX_CALLERS = 16;
const MAX_TASKS = 1 << 15;

/**
 * Stateful: keeps the open calls per entry probe and task. One per trace file.
 */
export class Emitter {
  private readonly pending = new Map<string, Map<number, PendingCall[]>>();
  /** The same tables by ProbePlan.entryId (pairing reads them for every paired line). */
  private open: (Map<number, PendingCall[]> | undefined)[] = [];
  unpairedReturns = 0;
  /** Events emitted by kind (index: EVENT_KINDS order). */
  readonly kindCounts: number[] = EVENT_KINDS.map(() => 0);
  /** `probe <- caller` of unmatched lines. */
  readonly unmatched = new Map<string, number>();
  private vals: (string | undefined)[] = [];

  constructor(readonly cm: CompiledMap, readonly file: string) {}

  /** Forget open calls (after a gap: their returns may be lost). */
  reset(): void {
    this.pending.clear();
    this.open = [];
  }

  /**
   * Handle one parsed probe line. Pushes events to `out`. `s` is the line text, `pl` its parse.
   */
  handle(s: string, lineNo: number, pl: ParsedLine, p: ProbePlan, out: CanonicalEvent[]): Outcome {
    p.hits++;
    // A probe the map only ignores (dst_release: a quarter of a modern trace): nothing to read.
    if (p.passive) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    // 1. Args this plan needs, decoded into its views.
    const n = p.nargs;
    let vals = this.vals;
    if (vals.length < n) vals = this.vals = new Array(n);
    for (let i = 0; i < n; i++) vals[i] = undefined;
    if (n > 0 && !(p.layoutKey !== undefined && extractByLayout(s, pl.args, p, vals))) {
      for (let i = 0; i < n; i++) vals[i] = undefined;
      learnLayout(s, pl.args, p);
      extractArgs(s, pl.args, p.keys, vals);
    }
    const views = p.views;
    const vv = p.vv;
    for (let i = 0; i < views.length; i++) {
      const raw = vals[views[i]!.slot];
      vv[i] = raw === undefined ? undefined : decodeView(raw, views[i]!);
    }
    // 2. Caller (return probes).
    let callerText: string | undefined;
    let callerSym: string | undefined;
    let unknownCaller = false;
    if (pl.arrow !== -1) {
      const last = p.lastCallerRaw;
      if (last.length === pl.arrow - pl.symStart && s.startsWith(last, pl.symStart)) {
        callerText = p.lastCallerText;
        callerSym = p.lastCallerSym;
        unknownCaller = callerText === undefined;
      } else {
        const raw = s.slice(pl.symStart, pl.arrow);
        if (isUnknownCaller(raw)) unknownCaller = true;
        else {
          const slash = raw.lastIndexOf('/');
          callerText = internString(slash > 0 ? raw.slice(0, slash) : raw);
          callerSym = symbolName(callerText, this.cm.stripSuffixes);
        }
        p.lastCallerRaw = internString(raw);
        p.lastCallerText = callerText;
        p.lastCallerSym = callerSym;
      }
    }
    return this.apply(lineNo, pl, p, vv, callerText, callerSym, unknownCaller, out);
  }

  /**
   * handle() for a line parsed from bytes (parseEventBytes: pl.buf set, positions relative to
   * pl.base): the views are decoded straight from the bytes; a line that does not fit the
   * probe's learned layout is cut out as text and read the general way.
   */
  handleBytes(lineNo: number, pl: ParsedLine, p: ProbePlan, out: CanonicalEvent[]): Outcome {
    if (p.passive) {
      p.hits++;
      return p.ignored ? Outcome.Ignored : Outcome.Paired;
    }
    const buf = pl.buf!;
    const base = pl.base;
    const n = p.nargs;
    if (n > 0) {
      const decode = p.decode;
      if (decode === undefined || !decode(buf, base + pl.args, base + pl.len, p.vv)) {
        // Cut the line out: from here on it is read as text (and the layout learned again).
        return this.handle(pl.s, lineNo, pl, p, out);
      }
    }
    p.hits++;
    let callerText: string | undefined;
    let callerSym: string | undefined;
    let unknownCaller = false;
    if (pl.arrow !== -1) {
      const raws = p.callerRaws;
      const hashes = p.callerHashes;
      const len = pl.arrow - pl.symStart;
      const from = base + pl.symStart;
      const hash = pl.callerHash;
      let hit = -1;
      // Callers repeat: find this one by its hash (computed by parseEventBytes), then its bytes.
      for (let i = p.lastCaller, n = 0; n < raws.length; n++, i = i + 1 === raws.length ? 0 : i + 1) {
        if (hashes[i] !== hash) continue;
        const r = raws[i]!;
        if (r.length !== len) continue;
        let k = len - 1;
        while (k >= 0 && r.charCodeAt(k) === buf[from + k]) k--;
        if (k < 0) {
          hit = i;
          break;
        }
      }
      if (hit >= 0) {
        p.lastCaller = hit;
        callerText = p.callerTexts[hit];
        callerSym = p.callerSyms[hit];
        unknownCaller = callerText === undefined;
      } else {
        const raw = internString(latin1(buf, from, base + pl.arrow));
        if (isUnknownCaller(raw)) unknownCaller = true;
        else {
          const slash = raw.lastIndexOf('/');
          callerText = internString(slash > 0 ? raw.slice(0, slash) : raw);
          callerSym = symbolName(callerText, this.cm.stripSuffixes);
        }
        if (raws.length >= MAX_CALLERS) {
          raws.length = 0;
          hashes.length = 0;
          p.callerTexts.length = 0;
          p.callerSyms.length = 0;
        }
        p.lastCaller = raws.length;
        raws.push(raw);
        hashes.push(hash);
        p.callerTexts.push(callerText);
        p.callerSyms.push(callerSym);
      }
    }
    return this.apply(lineNo, pl, p, p.vv, callerText, callerSym, unknownCaller, out);
  }

  /** Pairing, rules and emission, once the line's views and caller are known. */
  private apply(
    lineNo: number, pl: ParsedLine, p: ProbePlan, vv: ViewValue[],
    callerText: string | undefined, callerSym: string | undefined, unknownCaller: boolean, out: CanonicalEvent[],
  ): Outcome {
    // Entries and returns pair per call context (callctx.ts: pid; CPU for pid 0; CPU and level in an interrupt).
    const irq = pl.flagsStart < 0 ? 0 : irqLevelOfLine(pl);
    const taskKey = callKey(pl.pid, pl.cpu, irq);
    let lineTs = NaN;
    let tsDone = false;
    // 3. Pairing.
    let call: PendingCall | undefined;
    if (p.returnOf !== undefined) {
      const stack = (p.returnOfId >= 0 ? this.open[p.returnOfId] : this.pending.get(p.returnOf))?.get(taskKey);
      if (stack?.length) {
        // A return with an unknown caller is a duplicate return probe: it reads the call, the
        // return that names its caller closes it.
        call = unknownCaller ? stack[stack.length - 1] : stack.pop();
      } else if (!unknownCaller) this.unpairedReturns++;
    }
    if (p.withinOf.length) {
      for (const e of p.withinOf) {
        const stack = this.pending.get(e)?.get(taskKey);
        const top = stack?.[stack.length - 1];
        if (top) (top.within ??= new Map()).set(p.name, vv.slice());
      }
    }
    if (p.isEntry) {
      let byTask = p.entryId >= 0 ? this.open[p.entryId] : this.pending.get(p.name);
      if (!byTask) {
        this.pending.set(p.name, (byTask = new Map()));
        if (p.entryId >= 0) this.open[p.entryId] = byTask;
      }
      let stack = byTask.get(taskKey);
      if (!stack) {
        if (byTask.size >= MAX_TASKS) byTask.clear();
        byTask.set(taskKey, (stack = []));
      }
      if (stack.length >= MAX_STACK) stack.shift();
      lineTs = pl.ts;
      tsDone = true;
      stack.push({ vv: vv.slice(), line: lineNo, ts: lineTs, within: undefined });
    }
    // 4. Rules.
    const rules = p.rules;
    if (rules.length === 0) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    let filtered = false;
    // A caller printed as a bare address (no symbols for it, printers.ts) cannot be told apart:
    // the first rule that depends on the caller ends the match (a later rule would be a guess).
    const unresolved = callerSym !== undefined && callerSym.charCodeAt(0) === 48 && callerSym.charCodeAt(1) === 120;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (unresolved && (rule.callers || rule.callerNot || rule.unknownCaller)) break;
      if (rule.callerNot && callerSym !== undefined && rule.callerNot.has(callerSym)) continue;
      if (rule.callers || rule.anyKnownCaller || rule.unknownCaller) {
        const ok = unknownCaller
          ? rule.unknownCaller
          : callerSym !== undefined && (rule.anyKnownCaller || (rule.callers?.has(callerSym)));
        if (!ok) continue;
      }
      let pass = true;
      const conds = rule.conds;
      for (let c = 0; c < conds.length; c++) {
        if (!this.condition(conds[c]!, vv, call, taskKey, pl, callerText)) {
          pass = false;
          break;
        }
      }
      if (!pass) {
        filtered = true;
        continue;
      }
      const emits = rule.emits;
      if (emits.length === 0) return Outcome.Ignored;
      if (!tsDone) lineTs = pl.ts;
      const task = pl.taskStart >= 0 ? this.taskOf(pl) : undefined;
      const cpu = pl.cpu >= 0 ? pl.cpu : undefined;
      const pid = pl.pid >= 0 ? pl.pid : undefined;
      for (let k = 0; k < emits.length; k++) {
        const e = emits[k]!;
        const at = e.atEntry && call !== undefined;
        const ts = at ? call!.ts : lineTs;
        const ev = new Ev(e.kind, this.file, at ? call!.line : lineNo, ts === ts ? ts : undefined, cpu, task, pid, p.name, unresolved ? undefined : callerText);
        if (irq > 0) ev.irq = irq;
        this.kindCounts[e.kindId]++;
        e.fill(ev, vv, call, this, taskKey, callerText, pl);
        out.push(ev);
      }
      return Outcome.Emitted;
    }
    if (filtered) return Outcome.Filtered;
    const key = callerSym !== undefined ? `${p.name} <- ${callerSym}` : unknownCaller ? `${p.name} <- [unknown]` : p.name;
    countName(this.unmatched, key);
    return Outcome.Unmatched;
  }

  private lastTask = '';
  /** The line's task name, interned; consecutive lines mostly share it. */
  taskOf(pl: ParsedLine): string {
    const len = pl.taskEnd - pl.taskStart;
    const last = this.lastTask;
    const buf = pl.buf;
    if (buf !== undefined) {
      if (last.length === len) {
        const from = pl.base + pl.taskStart;
        let k = len - 1;
        while (k >= 0 && last.charCodeAt(k) === buf[from + k]) k--;
        if (k < 0) return last;
      }
      return (this.lastTask = internString(latin1(buf, pl.base + pl.taskStart, pl.base + pl.taskEnd)));
    }
    if (last.length === len && pl.s.startsWith(last, pl.taskStart)) return last;
    return (this.lastTask = internString(pl.s.slice(pl.taskStart, pl.taskEnd)));
  }

  /** The decoded views of the innermost open call of `probe` on this task (context.PROBE.arg). */
  contextViews(probe: string, taskKey: number): ViewValue[] | undefined {
    const stack = this.pending.get(probe)?.get(taskKey);
    return stack?.length ? stack[stack.length - 1]!.vv : undefined;
  }

  /** The probed function's name ($func). */
  funcOf(pl: ParsedLine): string | undefined {
    return pl.symStart === -1 ? undefined : symbolName(pl.s.slice(pl.arrow !== -1 ? pl.arrow + 4 : pl.symStart, pl.symEnd), false);
  }

  /** The event body ($text). */
  textOf(pl: ParsedLine): string {
    return pl.s.slice(pl.body);
  }

  /** A field read from text ($caller, $func, $text). */
  textField(raw: string | undefined, f: CompiledField): ViewValue {
    return raw === undefined ? undefined : decodeView(raw, f);
  }

  /** The raw text of a $caller / $func / $text source. */
  private textSource(src: Src, pl: ParsedLine, callerText: string | undefined): string | undefined {
    return src === Src.Caller ? callerText : src === Src.Func ? this.funcOf(pl) : this.textOf(pl);
  }

  /** A view's value and whether the argument was there at all. */
  private viewValue(view: number, g: FieldGetter, vv: ViewValue[], call: PendingCall | undefined, taskKey: number): ViewValue {
    if (view < 0) return undefined;
    switch (g.src) {
      case Src.Self:
        return vv[view];
      case Src.Entry:
        return call ? call.vv[view] : undefined;
      case Src.Within:
        return call?.within?.get(g.probe)?.[view];
      case Src.Context:
        return this.contextViews(g.probe, taskKey)?.[view];
      default:
        return undefined;
    }
  }

  private condition(
    c: CompiledCond, vv: ViewValue[], call: PendingCall | undefined, taskKey: number,
    pl: ParsedLine, callerText: string | undefined,
  ): boolean {
    let present: boolean;
    let v: ViewValue;
    if (c.src === Src.Caller || c.src === Src.Func || c.src === Src.Text) {
      const raw = this.textSource(c.src, pl, callerText);
      present = raw !== undefined;
      v = raw === undefined ? undefined : decodeView(raw, c.decodeAs);
    } else {
      present = this.viewValue(c.presence, c, vv, call, taskKey) !== undefined;
      v = this.viewValue(c.view, c, vv, call, taskKey);
    }
    switch (c.op) {
      case 'present':
        return present;
      case 'absent':
        return !present;
      case 'zero':
        return present && v === '0x0';
      case 'nonzero':
        return present && v !== undefined && v !== '0x0';
      case 'errptr':
        return present && v !== undefined && isErrPtr(v as string);
      case 'noterrptr':
        return present && !(v !== undefined && isErrPtr(v as string));
      case 'eq':
        return present && v === c.to;
      case 'ne':
        return present && v !== c.to;
      default:
        return false;
    }
  }
}

/** A view of a raw text value. */
function decodeView(raw: string, v: { type: ViewType; radix: Radix; ipv4: Ipv4Order }): ViewValue {
  switch (v.type) {
    case 'pointer':
      return decodePointer(raw, v.radix);
    case 'ipv4':
      return decodeIpv4(raw, v.radix, v.ipv4);
    case 'u32':
      return decodeU32(raw, v.radix);
    case 'number':
      return decodeNumber(raw, v.radix);
    case 'string':
      return decodeString(raw);
    case 'present':
      return 1;
  }
}

/**
 * Walk `name=value` tokens from `from`, storing the raw values of the wanted names
 * (`keys[i]` = "name=") into vals[i]. Quoted values (`name="a b"`) keep their quotes.
 */
export function extractArgs(s: string, from: number, keys: string[], vals: (string | undefined)[]): void {
  const len = s.length;
  const nk = keys.length;
  let pos = from;
  let found = 0;
  while (pos < len && found < nk) {
    while (pos < len && s.charCodeAt(pos) === 32) pos++;
    const eq = s.indexOf('=', pos);
    if (eq === -1) return;
    let vend: number;
    if (s.charCodeAt(eq + 1) === 34 /* " */) {
      const q = s.indexOf('"', eq + 2);
      vend = q === -1 ? len : q + 1;
    } else {
      vend = s.indexOf(' ', eq + 1);
      if (vend === -1) vend = len;
    }
    // A token without '=' before the next space is not an arg: skip it.
    const sp = s.indexOf(' ', pos);
    if (sp !== -1 && sp < eq) {
      pos = sp + 1;
      continue;
    }
    const nameLen = eq - pos + 1;
    for (let k = 0; k < nk; k++) {
      const key = keys[k]!;
      if (key.length === nameLen && vals[k] === undefined && s.startsWith(key, pos)) {
        vals[k] = s.slice(eq + 1, vend);
        found++;
        break;
      }
    }
    pos = vend + 1;
  }
}

/** Learn the token layout of a probe's args from one line. */
function learnLayout(s: string, from: number, p: ProbePlan): void {
  const keyIdx: number[] = [];
  const lens: number[] = [];
  const firsts: number[] = [];
  const len = s.length;
  let pos = from;
  while (pos < len) {
    const eq = s.indexOf('=', pos);
    const sp0 = s.indexOf(' ', pos);
    if (eq === -1 || (sp0 !== -1 && sp0 < eq)) {
      p.layoutKey = undefined;
      p.decode = undefined;
      return;
    }
    let vend: number;
    if (s.charCodeAt(eq + 1) === 34) {
      const q = s.indexOf('"', eq + 2);
      vend = q === -1 ? len : q + 1;
    } else {
      vend = s.indexOf(' ', eq + 1);
      if (vend === -1) vend = len;
    }
    const nameLen = eq - pos + 1;
    let k = -1;
    for (let i = 0; i < p.keys.length; i++) {
      if (p.keys[i]!.length === nameLen && s.startsWith(p.keys[i]!, pos)) k = i;
    }
    keyIdx.push(k);
    lens.push(nameLen);
    firsts.push(s.charCodeAt(pos));
    pos = vend + 1;
  }
  p.layoutKey = Int16Array.from(keyIdx);
  p.layoutLen = Int16Array.from(lens);
  p.layoutFirst = Int32Array.from(firsts);
  p.decode = compileDecoder(p);
}

/** What a generated decoder calls to decode one view from bytes (one function per view type). */
const VIEW_DECODERS = {
  pointer: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => pointerFromBytes(buf, a, b, r),
  ipv4: (buf: Buffer, a: number, b: number, r: Radix, o: Ipv4Order): ViewValue => {
    for (let i = a + 1; i < b; i++) if (buf[i] === 46 /* . */) return decodeIpv4(latin1(buf, a, b), r, o);
    const n = numberFromBytes(buf, a, b, r);
    return n === undefined ? undefined : ipv4OfU32(n >>> 0, o);
  },
  u32: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => {
    const n = numberFromBytes(buf, a, b, r);
    return n === undefined ? undefined : n >>> 0;
  },
  number: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => numberFromBytes(buf, a, b, r),
  string: (buf: Buffer, a: number, b: number): ViewValue => decodeString(latin1(buf, a, b)),
  present: (): ViewValue => 1,
};

/**
 * The byte decoder of a plan's learned layout: the token walk of extractByLayout over bytes, unrolled
 * (each token's name length and first character as constants), decoding each view of a wanted
 * token as soon as its value is found. False when the line does not fit the layout (the caller
 * then reads it as text; the views written so far are overwritten there).
 */
function compileDecoder(p: ProbePlan): Decoder | undefined {
  const keyIdx = p.layoutKey!;
  const lens = p.layoutLen!;
  const firsts = p.layoutFirst!;
  const viewsOfSlot = new Map<number, number[]>();
  p.views.forEach((v, i) => {
    const l = viewsOfSlot.get(v.slot);
    if (l) l.push(i);
    else viewsOfSlot.set(v.slot, [i]);
  });
  const code: string[] = ['let vs = 0, ve = 0;'];
  const inLayout = new Set<number>();
  for (let t = 0; t < keyIdx.length; t++) inLayout.add(keyIdx[t]!);
  // Views of args the layout does not have are absent.
  p.views.forEach((v, i) => {
    if (!inLayout.has(v.slot)) code.push(`vv[${i}] = undefined;`);
  });
  for (let t = 0; t < keyIdx.length; t++) {
    const nl = lens[t]!;
    const first = firsts[t]!;
    if (!Number.isInteger(nl) || !Number.isInteger(first)) return undefined;
    code.push(
      'if (pos >= len) return false;',
      `vs = pos + ${nl};`,
      `if (vs > len || buf[pos] !== ${first} || buf[vs - 1] !== 61) return false;`,
      'if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }',
      'else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }',
    );
    for (const i of viewsOfSlot.get(keyIdx[t]!) ?? []) {
      const v = p.views[i]!;
      code.push(`vv[${i}] = D.${v.type}(buf, vs, ve, ${JSON.stringify(v.radix)}, ${JSON.stringify(v.ipv4)});`);
    }
    code.push('pos = ve + 1;');
  }
  code.push('return pos >= len;');
  const body = `return function decode(buf, pos, len, vv) {\n${code.join('\n')}\n};`;
  return new Function('D', body)(VIEW_DECODERS) as Decoder;
}

/** Extract by the learned layout; false when the line does not fit it. */
function extractByLayout(s: string, from: number, p: ProbePlan, vals: (string | undefined)[]): boolean {
  const keyIdx = p.layoutKey!;
  const lens = p.layoutLen!;
  const firsts = p.layoutFirst!;
  const len = s.length;
  let pos = from;
  const nt = keyIdx.length;
  for (let t = 0; t < nt; t++) {
    if (pos >= len) return false;
    const nl = lens[t]!;
    const vs = pos + nl;
    if (s.charCodeAt(pos) !== firsts[t] || s.charCodeAt(vs - 1) !== 61 /* = */) return false;
    let ve: number;
    if (s.charCodeAt(vs) === 34 /* " */) {
      const q = s.indexOf('"', vs + 1);
      ve = q === -1 ? len : q + 1;
    } else {
      ve = s.indexOf(' ', vs);
      if (ve === -1) ve = len;
    }
    const k = keyIdx[t]!;
    if (k >= 0) vals[k] = s.slice(vs, ve);
    pos = ve + 1;
  }
  return pos >= len;
}

/** Per-name counters stay bounded on garbage input: past 1000 names, the rest count as "(other)". */
export function countName(m: Map<string, number>, name: string): void {
  const n = m.get(name);
  if (n !== undefined) m.set(name, n + 1);
  else if (m.size < 1000) m.set(name, 1);
  else m.set('(other)', (m.get('(other)') ?? 0) + 1);
}
