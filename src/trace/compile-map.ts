/**
 * compileMap(): a validated probe map into per-probe plans (plan.ts): the arguments each probe's
 * lines carry and the views decoded from them, pairing roles, rules with their conditions, and
 * each emit's generated fill function (codegen.ts).
 */
import { EVENT_KINDS } from './events.ts';
import type { FieldSourceSpec, Ipv4Order, MappableField, ProbeMap, Radix } from './probemap.ts';
import { FIELD_TYPES } from './probemap.ts';
import {
  newPlan, Src, type CompiledCond, type CompiledField, type CompiledMap, type CompiledRule, type FieldGetter, type ProbePlan,
  type ViewType, type ViewValue,
} from './plan.ts';
import { PlanIndex } from './plan-index.ts';
import { compileFill } from './codegen.ts';

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
  const strip = map.stripCallerSuffixes ?? true;
  const plans = new Map<string, ProbePlan>();
  const funcPlans = new Map<string, ProbePlan>();
  const plan = (name: string): ProbePlan => {
    let p = plans.get(name);
    if (!p) plans.set(name, (p = newPlan(name, strip)));
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
      if (!fp) funcPlans.set(key, (fp = newPlan(rule.func!, strip)));
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
          fill: compileFill(p.name, e.kind, Object.entries(e.set ?? {}) as [MappableField, string | number][], fields),
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
  return { map, plans, index: new PlanIndex(plans.values()), funcPlans, markers, stripSuffixes: strip };
}
