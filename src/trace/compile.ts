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
  constructor(kind: EventKind, file: string, line: number) {
    // Assignments in the constructor (not class fields): one hidden class, fastest allocation.
    this.kind = kind;
    this.file = file;
    this.line = line;
    this.ts = undefined;
    this.cpu = undefined;
    this.task = undefined;
    this.pid = undefined;
    this.probe = undefined;
    this.caller = undefined;
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
  }
}

/**
 * One setter per canonical field: direct (monomorphic) property stores instead of `ev[name] = v`,
 * which is a slow generic keyed store on an object with this many properties.
 */
type Setter = (ev: Ev, v: string | number) => void;
const SETTERS: Record<MappableField, Setter> = {
  rt: (e, v) => { e.rt = v as string; },
  daddr: (e, v) => { e.daddr = v as string; },
  peer: (e, v) => { e.peer = v as string; },
  peerBefore: (e, v) => { e.peerBefore = v as string; },
  create: (e, v) => { e.create = v as number; },
  rtGenid: (e, v) => { e.rtGenid = v as number; },
  genid: (e, v) => { e.genid = v as number; },
  ret: (e, v) => { e.ret = v as string; },
  old: (e, v) => { e.old = v as number; },
  new: (e, v) => { e.new = v as number; },
  mtu: (e, v) => { e.mtu = v as number; },
  gateway: (e, v) => { e.gateway = v as string; },
  oldGateway: (e, v) => { e.oldGateway = v as string; },
  rtGateway: (e, v) => { e.rtGateway = v as string; },
  rtMtu: (e, v) => { e.rtMtu = v as number; },
  flags: (e, v) => { e.flags = v as number; },
  obsolete: (e, v) => { e.obsolete = v as number; },
  net: (e, v) => { e.net = v as string; },
  fnheGenid: (e, v) => { e.fnheGenid = v as number; },
  exceptionGenid: (e, v) => { e.exceptionGenid = v as number; },
  counter: (e, v) => { e.counter = v as Ev['counter']; },
  text: (e, v) => { e.text = v as string; },
  fnhe: (e, v) => { e.fnhe = v as string; },
  dev: (e, v) => { e.dev = v as string; },
  oldMtu: (e, v) => { e.oldMtu = v as number; },
};

const enum Src { Self, Entry, Within, Context, Caller, Func, Text }

interface FieldGetter {
  src: Src;
  /** Slot in the owning plan's values (self/entry/within/context). */
  slot: number;
  /** within/context: the probe whose values are read. */
  probe: string;
}

interface CompiledField extends FieldGetter {
  field: MappableField;
  setter: Setter;
  type: (typeof FIELD_TYPES)[MappableField];
  radix: Radix;
  ipv4: Ipv4Order;
}

interface CompiledCond extends FieldGetter {
  op: ConditionOp;
  to: number | string | undefined;
  radix: Radix;
}

interface CompiledEmit {
  kind: EventKind;
  kindId: number;
  atEntry: boolean;
  set: [Setter, string | number][];
  fields: CompiledField[];
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
  /** Last caller seen (raw `sym+off/size` text, its interned `sym+off` and symbol): callers repeat. */
  lastCallerRaw: string;
  lastCallerText: string | undefined;
  lastCallerSym: string | undefined;
  /** Slots whose values are needed as text (see compileMap's getter); the byte path decodes the rest from the line. */
  textSlots: Set<number>;
  textSlotList: number[];
  /** Recent callers (raw `sym+off/size`, interned text, symbol) for the byte path: a few callers repeat. */
  callerRaws: string[];
  callerTexts: (string | undefined)[];
  callerSyms: (string | undefined)[];
  lastCaller: number;
  /** Entry probes: index of this probe's open-call table in an Emitter (-1 otherwise). */
  entryId: number;
  /** Return probes: entryId of the entry probe they close (-1 otherwise). */
  returnOfId: number;
}

interface PendingCall {
  vals: (string | undefined)[];
  line: number;
  ts: number;
  within: Map<string, (string | undefined)[]> | undefined;
}

/** Probe plans by name, looked up by a range of the line without cutting the name out. */
export class PlanIndex {
  private readonly byLen: (ProbePlan[] | undefined)[] = [];
  constructor(plans: Iterable<ProbePlan>) {
    for (const p of plans) (this.byLen[p.name.length] ??= []).push(p);
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
  /** The same, for a name held as bytes buf[start..end). */
  findBytes(buf: Buffer, start: number, end: number): ProbePlan | undefined {
    const cands = this.byLen[end - start];
    if (cands === undefined) return undefined;
    const len = end - start;
    outer: for (let i = 0; i < cands.length; i++) {
      const name = cands[i]!.name;
      for (let k = 0; k < len; k++) if (name.charCodeAt(k) !== buf[start + k]) continue outer;
      return cands[i];
    }
    return undefined;
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

/** Compile a validated map. */
export function compileMap(map: ProbeMap): CompiledMap {
  const radix = map.radix ?? 'auto';
  const ipv4 = map.ipv4 ?? 'le';
  const plans = new Map<string, ProbePlan>();
  const funcPlans = new Map<string, ProbePlan>();
  const plan = (name: string): ProbePlan => {
    let p = plans.get(name);
    if (!p) {
      p = {
        name, keys: [], nargs: 0, argIndex: new Map(), rules: [], ignored: false, isEntry: false,
        returnOf: undefined, withinOf: [], needsCaller: false, hits: 0, passive: false,
        lastCallerRaw: '', lastCallerText: undefined, lastCallerSym: undefined,
        layoutKey: undefined, layoutLen: undefined, layoutFirst: undefined,
        textSlots: new Set(), textSlotList: [], callerRaws: [], callerTexts: [], callerSyms: [], lastCaller: 0, entryId: -1, returnOfId: -1,
      };
      plans.set(name, p);
    }
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
      if (!fp) {
        fp = {
          name: rule.func!, keys: [], nargs: 0, argIndex: new Map(), rules: [], ignored: false,
          isEntry: false, returnOf: undefined, withinOf: [], needsCaller: false, hits: 0, passive: false,
          lastCallerRaw: '', lastCallerText: undefined, lastCallerSym: undefined,
          layoutKey: undefined, layoutLen: undefined, layoutFirst: undefined,
          textSlots: new Set(), textSlotList: [], callerRaws: [], callerTexts: [], callerSyms: [], lastCaller: 0, entryId: -1, returnOfId: -1,
        };
        funcPlans.set(key, fp);
      }
      p = fp;
    }
    // `asText`: the value is read as text (conditions, string fields). Values other plans read
    // (entry./within./context.) are kept with the open call, as text too. The rest the byte path
    // decodes straight from the line.
    const getter = (spec: FieldSourceSpec, asText: boolean): FieldGetter => {
      const s = parseSource(spec);
      let slot = -1;
      if (s.src === Src.Self) {
        slot = slotOf(p, s.arg);
        if (asText) p.textSlots.add(slot);
      } else if (s.src === Src.Entry) {
        if (p.returnOf) {
          const e = plan(p.returnOf);
          slot = slotOf(e, s.arg);
          e.textSlots.add(slot);
        }
      } else if (s.src === Src.Within || s.src === Src.Context) {
        const o = plan(s.probe);
        slot = slotOf(o, s.arg);
        o.textSlots.add(slot);
      }
      return { src: s.src, slot, probe: s.probe };
    };
    const callers = rule.caller?.filter((c) => c !== '*' && c !== '?');
    const compiled: CompiledRule = {
      callers: callers && callers.length ? new Set(callers) : undefined,
      anyKnownCaller: rule.caller?.includes('*') ?? false,
      unknownCaller: rule.caller?.includes('?') ?? false,
      callerNot: rule.callerNot ? new Set(rule.callerNot) : undefined,
      conds: (rule.when ?? []).map((c) => ({ ...getter(c.value, true), op: c.op, to: c.to, radix })),
      emits: rule.emit.map((e) => ({
        kind: e.kind,
        kindId: EVENT_KINDS.indexOf(e.kind),
        atEntry: e.at === 'entry',
        set: (Object.entries(e.set ?? {}) as [MappableField, string | number][]).map(([f, v]) => [SETTERS[f], v] as [Setter, string | number]),
        fields: Object.entries(e.fields ?? {}).map(([f, spec]) => {
          const field = f as MappableField;
          const sp = spec as FieldSourceSpec;
          return {
            ...getter(sp, FIELD_TYPES[field] === 'string'),
            field,
            setter: SETTERS[field],
            type: FIELD_TYPES[field],
            radix: (typeof sp === 'object' && sp.radix) || radix,
            ipv4: (typeof sp === 'object' && sp.ipv4) || ipv4,
          };
        }),
      })),
    };
    if (rule.caller || rule.callerNot) p.needsCaller = true;
    p.rules.push(compiled);
  }
  for (const p of [...plans.values(), ...funcPlans.values()]) {
    p.passive = p.rules.length === 0 && !p.isEntry && p.returnOf === undefined && p.withinOf.length === 0;
    // An open call or a within record keeps the plan's values, but only the slots other plans
    // read (marked by the getter) are ever read from it.
    p.textSlotList = [...p.textSlots].sort((a, b) => a - b);
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
  /** Byte path: value ranges (absolute offsets in byteLine; ve -1 = absent) of the slots not cut out as text. */
  private vs = new Int32Array(0);
  private ve = new Int32Array(0);
  private byteLine: Buffer | undefined = undefined;

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
    this.byteLine = undefined;
    // A probe the map only ignores (dst_release: a quarter of a modern trace): nothing to read.
    if (p.passive) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    // 1. Args this plan needs.
    const n = p.nargs;
    let vals = this.vals;
    if (vals.length < n) vals = this.vals = new Array(n);
    for (let i = 0; i < n; i++) vals[i] = undefined;
    if (n > 0 && !(p.layoutKey !== undefined && extractByLayout(s, pl.args, p, vals))) {
      for (let i = 0; i < n; i++) vals[i] = undefined;
      learnLayout(s, pl.args, p);
      extractArgs(s, pl.args, p.keys, vals);
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
    return this.apply(lineNo, pl, p, vals, n, callerText, callerSym, unknownCaller, out);
  }

  /**
   * handle() for a line parsed from bytes (parseEventBytes: pl.buf set, positions relative to
   * pl.base): the arguments and the caller are read from the bytes; a line that does not fit the
   * probe's learned layout is cut out as text and read the general way.
   */
  handleBytes(lineNo: number, pl: ParsedLine, p: ProbePlan, out: CanonicalEvent[]): Outcome {
    p.hits++;
    if (p.passive) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    const buf = pl.buf!;
    const base = pl.base;
    const n = p.nargs;
    let vals = this.vals;
    if (vals.length < n) vals = this.vals = new Array(n);
    if (this.ve.length < n) {
      this.vs = new Int32Array(n);
      this.ve = new Int32Array(n);
    }
    for (let i = 0; i < n; i++) vals[i] = undefined;
    this.byteLine = undefined;
    if (n > 0) {
      if (p.layoutKey !== undefined && extractRangesByLayout(buf, base + pl.args, base + pl.len, p, this.vs, this.ve)) {
        // Values as ranges of the line; text only for the slots that need it.
        this.byteLine = buf;
        const vs = this.vs;
        const ve = this.ve;
        const ts = p.textSlotList;
        for (let i = 0; i < ts.length; i++) {
          const k = ts[i]!;
          if (ve[k]! >= 0) vals[k] = latin1(buf, vs[k]!, ve[k]!);
        }
      } else {
        const s = pl.s; // cut the line out: from here on it is read as text
        learnLayout(s, pl.args, p);
        extractArgs(s, pl.args, p.keys, vals);
      }
    }
    let callerText: string | undefined;
    let callerSym: string | undefined;
    let unknownCaller = false;
    if (pl.arrow !== -1) {
      const raws = p.callerRaws;
      const len = pl.arrow - pl.symStart;
      const from = base + pl.symStart;
      let hit = -1;
      const last = raws[p.lastCaller];
      if (last !== undefined && last.length === len) {
        let k = len - 1;
        while (k >= 0 && last.charCodeAt(k) === buf[from + k]) k--;
        if (k < 0) hit = p.lastCaller;
      }
      for (let i = 0; i < raws.length && hit < 0; i++) {
        const r = raws[i]!;
        if (r.length !== len) continue;
        let k = len - 1;
        while (k >= 0 && r.charCodeAt(k) === buf[from + k]) k--;
        if (k < 0) hit = i;
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
          p.callerTexts.length = 0;
          p.callerSyms.length = 0;
        }
        p.lastCaller = raws.length;
        raws.push(raw);
        p.callerTexts.push(callerText);
        p.callerSyms.push(callerSym);
      }
    }
    return this.apply(lineNo, pl, p, vals, n, callerText, callerSym, unknownCaller, out);
  }

  /** Pairing, rules and emission, once the line's args and caller are known. */
  private apply(
    lineNo: number, pl: ParsedLine, p: ProbePlan, vals: (string | undefined)[], n: number,
    callerText: string | undefined, callerSym: string | undefined, unknownCaller: boolean, out: CanonicalEvent[],
  ): Outcome {
    const taskKey = pl.pid > 0 ? pl.pid : -1 - (pl.cpu < 0 ? 0 : pl.cpu);
    let lineTs = NaN;
    let tsDone = false;
    // 3. Pairing.
    let call: PendingCall | undefined;
    if (p.returnOf !== undefined) {
      const stack = (p.returnOfId >= 0 ? this.open[p.returnOfId] : this.pending.get(p.returnOf))?.get(taskKey);
      if (stack && stack.length) {
        // A return with an unknown caller is a duplicate return probe: it reads the call, the
        // return that names its caller closes it.
        call = unknownCaller ? stack[stack.length - 1] : stack.pop();
      } else if (!unknownCaller) this.unpairedReturns++;
    }
    if (p.withinOf.length) {
      for (const e of p.withinOf) {
        const stack = this.pending.get(e)?.get(taskKey);
        const top = stack && stack[stack.length - 1];
        if (top) (top.within ??= new Map()).set(p.name, vals.slice(0, n));
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
      stack.push({ vals: vals.slice(0, n), line: lineNo, ts: lineTs, within: undefined });
    }
    // 4. Rules.
    const rules = p.rules;
    if (rules.length === 0) return p.ignored ? Outcome.Ignored : Outcome.Paired;
    let filtered = false;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (rule.callerNot && callerSym !== undefined && rule.callerNot.has(callerSym)) continue;
      if (rule.callers || rule.anyKnownCaller || rule.unknownCaller) {
        const ok = unknownCaller
          ? rule.unknownCaller
          : callerSym !== undefined && (rule.anyKnownCaller || (rule.callers !== undefined && rule.callers.has(callerSym)));
        if (!ok) continue;
      }
      let pass = true;
      for (const c of rule.conds) {
        if (!this.condition(c, vals, call, taskKey, pl, callerText)) {
          pass = false;
          break;
        }
      }
      if (!pass) {
        filtered = true;
        continue;
      }
      if (rule.emits.length === 0) return Outcome.Ignored;
      if (!tsDone) lineTs = pl.ts;
      const task = pl.taskStart >= 0 ? this.taskOf(pl) : undefined;
      for (const e of rule.emits) {
        const at = e.atEntry && call ? call : undefined;
        const ev = new Ev(e.kind, this.file, at ? at.line : lineNo);
        const ts = at ? at.ts : lineTs;
        if (ts === ts) ev.ts = ts;
        if (pl.cpu >= 0) ev.cpu = pl.cpu;
        ev.task = task;
        if (pl.pid >= 0) ev.pid = pl.pid;
        this.kindCounts[e.kindId]++;
        ev.probe = p.name;
        ev.caller = callerText;
        const set = e.set;
        for (let k = 0; k < set.length; k++) set[k]![0](ev, set[k]![1]);
        const fields = e.fields;
        for (let k = 0; k < fields.length; k++) {
          const f = fields[k]!;
          const raw = f.src === Src.Self ? vals[f.slot] : this.value(f, vals, call, taskKey, pl, callerText);
          if (raw === undefined) {
            const line = this.byteLine;
            if (line !== undefined && f.src === Src.Self) {
              const e = this.ve[f.slot]!;
              if (e >= 0) {
                const v = decodeFieldBytes(line, this.vs[f.slot]!, e, f);
                if (v !== undefined) f.setter(ev, v);
              }
            }
            continue;
          }
          const v = decodeField(raw, f);
          if (v !== undefined) f.setter(ev, v);
        }
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

  private value(
    g: FieldGetter, vals: (string | undefined)[], call: PendingCall | undefined, taskKey: number,
    pl: ParsedLine, callerText: string | undefined,
  ): string | undefined {
    switch (g.src) {
      case Src.Self:
        return vals[g.slot];
      case Src.Entry:
        return call ? call.vals[g.slot] : undefined;
      case Src.Within:
        return call?.within?.get(g.probe)?.[g.slot];
      case Src.Context: {
        const stack = this.pending.get(g.probe)?.get(taskKey);
        return stack && stack.length ? stack[stack.length - 1]!.vals[g.slot] : undefined;
      }
      case Src.Caller:
        return callerText;
      case Src.Func:
        return pl.symStart === -1 ? undefined : symbolName(pl.s.slice(pl.arrow !== -1 ? pl.arrow + 4 : pl.symStart, pl.symEnd), false);
      case Src.Text:
        return pl.s.slice(pl.body);
    }
  }

  private condition(
    c: CompiledCond, vals: (string | undefined)[], call: PendingCall | undefined, taskKey: number,
    pl: ParsedLine, callerText: string | undefined,
  ): boolean {
    const raw = this.value(c, vals, call, taskKey, pl, callerText);
    switch (c.op) {
      case 'present':
        return raw !== undefined;
      case 'absent':
        return raw === undefined;
      default:
        break;
    }
    if (raw === undefined) return false;
    switch (c.op) {
      case 'zero':
      case 'nonzero': {
        const ptr = decodePointer(raw, c.radix);
        const zero = ptr === '0x0';
        return c.op === 'zero' ? zero : ptr !== undefined && !zero;
      }
      case 'errptr':
      case 'noterrptr': {
        const ptr = decodePointer(raw, c.radix);
        const err = ptr !== undefined && isErrPtr(ptr);
        return c.op === 'errptr' ? err : !err;
      }
      case 'eq':
      case 'ne': {
        let eq: boolean;
        if (typeof c.to === 'number') eq = decodeNumber(raw, c.radix) === c.to;
        else eq = decodeString(raw) === c.to;
        return c.op === 'eq' ? eq : !eq;
      }
      default:
        return false;
    }
  }
}

function decodeField(raw: string, f: CompiledField): string | number | undefined {
  switch (f.type) {
    case 'pointer':
      return decodePointer(raw, f.radix);
    case 'ipv4':
      return decodeIpv4(raw, f.radix, f.ipv4);
    case 'u32':
      return decodeU32(raw, f.radix);
    case 'number':
      return decodeNumber(raw, f.radix);
    case 'string':
      return decodeString(raw);
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
    if (eq === -1 || (sp0 !== -1 && sp0 < eq)) return void (p.layoutKey = undefined);
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

/** Field value from bytes buf[a..b) (ASCII), as decodeField would give from their text. */
function decodeFieldBytes(buf: Buffer, a: number, b: number, f: CompiledField): string | number | undefined {
  switch (f.type) {
    case 'pointer':
      return pointerFromBytes(buf, a, b, f.radix);
    case 'ipv4': {
      for (let i = a + 1; i < b; i++) if (buf[i] === 46 /* . */) return decodeIpv4(latin1(buf, a, b), f.radix, f.ipv4);
      const n = numberFromBytes(buf, a, b, f.radix);
      return n === undefined ? undefined : ipv4OfU32(n >>> 0, f.ipv4);
    }
    case 'u32': {
      const n = numberFromBytes(buf, a, b, f.radix);
      return n === undefined ? undefined : n >>> 0;
    }
    case 'number':
      return numberFromBytes(buf, a, b, f.radix);
    case 'string':
      return decodeString(latin1(buf, a, b));
  }
}

/** Extract value ranges by the learned layout (vs/ve absolute; ve -1 for a key not on the line); false when the line does not fit it. */
function extractRangesByLayout(buf: Buffer, from: number, len: number, p: ProbePlan, vsOut: Int32Array, veOut: Int32Array): boolean {
  const keyIdx = p.layoutKey!;
  const lens = p.layoutLen!;
  const firsts = p.layoutFirst!;
  for (let i = 0; i < p.nargs; i++) veOut[i] = -1;
  let pos = from;
  const nt = keyIdx.length;
  for (let t = 0; t < nt; t++) {
    if (pos >= len) return false;
    const nl = lens[t]!;
    const vs = pos + nl;
    if (vs > len || buf[pos] !== firsts[t] || buf[vs - 1] !== 61 /* = */) return false;
    let ve = vs;
    if (vs < len && buf[vs] === 34 /* " */) {
      ve = vs + 1;
      while (ve < len && buf[ve] !== 34) ve++;
      ve = ve >= len ? len : ve + 1;
    } else {
      while (ve < len && buf[ve] !== 32) ve++;
    }
    const k = keyIdx[t]!;
    if (k >= 0) {
      vsOut[k] = vs;
      veOut[k] = ve;
    }
    pos = ve + 1;
  }
  return pos >= len;
}

/** extractByLayout for a line held as ASCII bytes buf[from..len); values are cut out as strings. */
export function extractByLayoutBytes(buf: Buffer, from: number, len: number, p: ProbePlan, vals: (string | undefined)[]): boolean {
  if (scratchStart.length < p.nargs) {
    scratchStart = new Int32Array(p.nargs * 2);
    scratchEnd = new Int32Array(p.nargs * 2);
  }
  if (!extractRangesByLayout(buf, from, len, p, scratchStart, scratchEnd)) return false;
  for (let k = 0; k < p.nargs; k++) {
    const ve = scratchEnd[k]!;
    if (ve >= 0) vals[k] = latin1(buf, scratchStart[k]!, ve);
  }
  return true;
}

/** Reused range buffers of extractByLayoutBytes (one line at a time, so one pair is enough). */
let scratchStart = new Int32Array(16);
let scratchEnd = new Int32Array(16);

/** Per-name counters stay bounded on garbage input: past 1000 names, the rest count as "(other)". */
export function countName(m: Map<string, number>, name: string): void {
  const n = m.get(name);
  if (n !== undefined) m.set(name, n + 1);
  else if (m.size < 1000) m.set(name, 1);
  else m.set('(other)', (m.get('(other)') ?? 0) + 1);
}
