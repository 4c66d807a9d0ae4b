/**
 * Probe generation: the era's plan (facts.ts) lowered against one kernel's types.
 * Never hand-written per kernel: offsets, registers and syntax all come from the kernel.
 */
import type { KernelInfo } from '../kernel/types.ts';
import type { FunctionFact, KernelTypes } from '../kernel/btf/types.ts';
import { loadKernelTypes } from '../kernel/btf/facts.ts';
import { kernelEra } from '../kernel/era.ts';
import type { Era } from '../model/types.ts';
import { lowerExpr, type Lowered, type LowerContext } from './expr.ts';
import { factsForEra, type EraFacts, type PlanProbe } from './facts.ts';
import { buildKallsymsCheck } from './kallsyms.ts';
import { buildProbeMap } from './probemap.ts';
import { formatLine } from './line.ts';
import { shortFallback } from './fit.ts';
import { deriveRouteReads } from './metrics.ts';
import type { FunctionCoverage, GenerateOptions, ProbeDef, ProbeField, ProbeSet, ProbeSyntax } from './types.ts';


/** What the generator needs to know about the kernel besides its types. */
export interface KernelDescription {
  release: string;
  banner: string;
  version: [number, number, number];
  /** Contents of the kernel's .config, when known (decides BTF-style probe arguments). */
  config?: string;
}

function cmpVersion(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** >= 3.6: next-hop exceptions; 2.6.39 .. 3.5: the genid mechanism with its bumpers; older: pre-genid. */
export function defaultEra(version: [number, number, number]): Era {
  if (version[0] === 0) return 'fnhe';
  if (cmpVersion(version, [3, 6, 0]) >= 0) return 'fnhe';
  if (cmpVersion(version, [2, 6, 39]) >= 0) return 'pmtu-redirect';
  return 'pre-genid';
}

/**
 * BTF-style arguments (names, `a->b`, $argN on return probes, f: fprobes) need
 * CONFIG_PROBE_EVENTS_BTF_ARGS (6.6+) and BTF; the config decides when we have it.
 */
export function defaultSyntax(k: KernelDescription, types: KernelTypes): ProbeSyntax {
  if (types.format !== 'btf') return 'regs';
  if (k.config !== undefined) {
    return /^CONFIG_PROBE_EVENTS_BTF_ARGS=y$/m.test(k.config) && /^CONFIG_FPROBE_EVENTS=y$/m.test(k.config) ? 'btf' : 'regs';
  }
  return cmpVersion(k.version, [6, 8, 0]) >= 0 ? 'btf' : 'regs';
}

/**
 * Kernels before 4.17 know no x8..x64 fetch types and print unsigned fetches in hex without 0x
 * (the 3.0.1 captures show it); 4.17 added the x types and decimal u types.
 */
export function oldTracer(version: [number, number, number]): boolean {
  return version[0] !== 0 && cmpVersion(version, [4, 17, 0]) < 0;
}

interface Ctx {
  types: KernelTypes;
  syntax: ProbeSyntax;
  noHex: boolean;
  group: string;
  /** Member paths some expression needs that the types were not asked for. */
  unknown: Set<string>;
}

function paramAs(p: { pointer?: boolean }): 'pointer' | 'int' {
  return p.pointer ? 'pointer' : 'int';
}

function lowerAlternatives(exprs: string | string[], as: ProbeField['as'], lc: LowerContext, ctx: Ctx): { ok: Lowered; expr: string } | { error: string } {
  const list = Array.isArray(exprs) ? exprs : [exprs];
  const errors: string[] = [];
  for (const e of list) {
    const r = lowerExpr(e, as, lc);
    if ('error' in r) {
      if (r.unknown) ctx.unknown.add(r.unknown);
      errors.push(r.error);
      continue;
    }
    return { ok: r, expr: e };
  }
  return { error: errors[0] ?? 'no expression' };
}

function argsOf(l: Lowered): number[] | undefined {
  return typeof l.baseIndex === 'number' ? [l.baseIndex] : undefined;
}

/** One probe of the plan against this kernel (undefined when the syntax cannot express it). */
function buildProbe(plan: PlanProbe, fn: FunctionFact | undefined, ctx: Ctx): ProbeDef | undefined {
  if (plan.needsSyntax === 'btf' && ctx.syntax !== 'btf') return undefined;
  const btf = ctx.syntax === 'btf';
  const entry = plan.at === 'entry';
  // BTF syntax: entries as kprobes with names, returns that read arguments as fprobe exits.
  const readsArgs = !entry && plan.fields.some((f) => (Array.isArray(f.expr) ? f.expr : [f.expr]).some((e) => !e.startsWith('$retval') && !e.startsWith('@')));
  const type: ProbeDef['type'] = entry ? 'p' : btf && readsArgs ? 'fret' : 'r';
  const rich: LowerContext = { fn, types: ctx.types, at: plan.at, argStyle: btf ? 'argN' : 'reg', noHexTypes: ctx.noHex };
  const conservative: LowerContext = { fn, types: ctx.types, at: plan.at, argStyle: 'reg', noHexTypes: ctx.noHex };
  const fields: ProbeField[] = [];
  const dropped: ProbeDef['dropped'] = [];
  const planned = [...plan.fields];
  if (plan.allParams && fn) {
    const named = new Set(planned.map((f) => f.name));
    const params = fn.params.slice(0, 6).filter((p) => p.name && !named.has(p.name) && p.size <= 8 && p.size > 0);
    planned.unshift(...params.map((p) => ({ name: p.name, expr: p.name, as: paramAs(p) as ProbeField['as'] })));
  } else if (plan.allParams && !fn) {
    dropped.push({ field: '(parameters)', reason: `no prototype for ${plan.fn}` });
  }
  let hasFallbackDiff = type === 'fret';
  for (const pf of planned) {
    const r = lowerAlternatives(pf.expr, pf.as, rich, ctx);
    if ('error' in r) {
      dropped.push({ field: pf.name, reason: r.error });
      continue;
    }
    const l = r.ok;
    // Bitfields through BTF names are the least tested path in the kernel's parser: use the
    // offset form (with $argN/$retval) that 6.1 and 6.12 both take.
    const bitfield = Boolean((l.leaf as { bitSize?: number } | undefined)?.bitSize);
    let fetch = btf && l.btf !== undefined && !bitfield ? l.btf : l.regs!;
    // A bare BTF parameter name needs no type suffix to parse, but we keep explicit types so the
    // trace prints the same as on register-syntax kernels (hex pointers, decimal genids).
    const cons = lowerAlternatives(r.expr, pf.as, conservative, ctx);
    const fallbackFetch = 'error' in cons ? undefined : cons.ok.regs;
    if (fallbackFetch !== fetch) hasFallbackDiff = true;
    if (fetch === undefined) fetch = l.regs!;
    fields.push({
      name: pf.name, expr: r.expr, fetch, fallbackFetch, type: l.type, as: pf.as,
      c: l.cPath, args: argsOf(l), signed: (l.leaf as { signed?: boolean } | undefined)?.signed, size: l.leaf?.size,
    });
  }
  deriveRouteReads(fields, ctx.types, dropped, ctx.noHex);
  const def: ProbeDef = { event: plan.event, group: ctx.group, type, symbol: plan.fn, function: plan.fn, fields, line: '', why: plan.why, dropped };
  def.line = formatLine(def, 'rich');
  if (hasFallbackDiff) def.fallback = formatLine(def, 'fallback');
  // Only tracers older than 4.17 can have the 128-byte limit; the full line is still tried first.
  const short = ctx.noHex ? shortFallback(def) : undefined;
  if (short) {
    def.fallback = short.line;
    def.shortened = short.dropped;
  }
  return def;
}

function coverageFor(facts: EraFacts, probes: ProbeDef[], types: KernelTypes, skipped: Map<string, string>): FunctionCoverage[] {
  const byFn = new Map<string, string[]>();
  for (const p of probes) byFn.set(p.function, [...(byFn.get(p.function) ?? []), p.event]);
  const hasFunc = (fn: string) => fn in types.functions;
  return facts.wanted.map((w): FunctionCoverage => {
    const own = byFn.get(w.name);
    // Callers that still observe it should the guest lack the symbol after all.
    const backup = w.via?.filter((v) => byFn.has(v));
    const viaBackup = backup?.length ? { via: backup } : {};
    if (own && hasFunc(w.name)) {
      return { function: w.name, role: w.role, status: 'probed', probes: own, ...viaBackup, reason: 'out of line (BTF FUNC); confirmed by the guest\'s kallsyms' };
    }
    if (own) {
      return {
        function: w.name, role: w.role, status: 'unresolved', probes: own, ...viaBackup,
        reason: types.format === 'btf' ? 'no BTF FUNC (a compiler clone such as .constprop, or inlined): the guest\'s kallsyms decides' : 'the guest\'s kallsyms decides',
      };
    }
    const via = w.via?.filter((v) => byFn.has(v)) ?? [];
    if (via.length) {
      const inlined = types.format === 'btf' && !hasFunc(w.name);
      return {
        function: w.name, role: w.role, status: 'via-caller', probes: via.flatMap((v) => byFn.get(v) ?? []), via,
        reason: `${inlined ? 'inlined (no BTF FUNC)' : 'not probed directly'}; observed via ${via.join(', ')}${w.how ? `: ${w.how}` : ''}`,
      };
    }
    const why = skipped.get(w.name) ?? (types.format === 'btf' && !hasFunc(w.name) ? 'inlined (no BTF FUNC) and no documented caller is probed' : 'no probe planned');
    return { function: w.name, role: w.role, status: 'not-observable', probes: [], reason: why };
  });
}

/** Generates the probe set from already-loaded types (pure; the tests' entry point). */
export function generateProbesFromTypes(k: KernelDescription, types: KernelTypes, opts: GenerateOptions = {}): ProbeSet & { unknownMembers: string[] } {
  const era = opts.era ?? defaultEra(k.version);
  const facts = factsForEra(era);
  const syntax = opts.syntax ?? defaultSyntax(k, types);
  const ctx: Ctx = { types, syntax, noHex: oldTracer(k.version), group: opts.group ?? 'rtg', unknown: new Set() };
  const extra = new Set(opts.extra ?? []);
  const probes: ProbeDef[] = [];
  const skipped = new Map<string, string>();
  for (const plan of facts.probes) {
    if (plan.noisy && !extra.has(plan.fn) && !extra.has(plan.event)) {
      skipped.set(plan.fn, 'left out: noisy (add it with --extra)');
      continue;
    }
    const def = buildProbe(plan, types.functions[plan.fn], ctx);
    if (def) probes.push(def);
  }
  const coverage = coverageFor(facts, probes, types, skipped);
  const inlined = coverage.filter((c) => c.status === 'via-caller' && c.reason.startsWith('inlined')).map((c) => ({ function: c.function, via: c.via ?? [] }));
  const notes = [...facts.notes];
  for (const p of probes) for (const d of p.dropped) notes.push(`${p.event}: ${d.field} left out: ${d.reason}`);
  if (syntax === 'btf') notes.push('BTF-style arguments: each probe also carries a register-syntax fallback line with the same event and field names');
  if (probes.some((p) => p.type === 'f' || p.type === 'fret')) {
    notes.push('f: (fprobe) lines go to /sys/kernel/tracing/dynamic_events: kprobe_events refuses them without an error_log entry');
  }
  const set: ProbeSet = {
    kernel: { release: k.release, banner: k.banner, btf: types.source, version: k.version },
    era,
    syntax,
    group: ctx.group,
    probes,
    coverage,
    inlined,
    probeMap: buildProbeMap({ release: k.release, banner: k.banner, era, facts, probes, radix: oldTracer(k.version) ? 'hex' : facts.radix ?? 'auto' }),
    kallsyms: buildKallsymsCheck(probes),
    notes,
  };
  return { ...set, unknownMembers: [...ctx.unknown] };
}

/**
 * Generates the probes for a resolved kernel: loads its types (cached JSON, else BTF/DWARF),
 * asking for whatever member paths the plan's expressions reach, then lowers the plan.
 */
export async function generateProbes(kernel: KernelInfo, opts: GenerateOptions = {}): Promise<ProbeSet> {
  const { readFile } = await import('node:fs/promises');
  const config = kernel.config ? await readFile(kernel.config, 'utf8').catch(() => undefined) : undefined;
  const desc: KernelDescription = { release: kernel.release, banner: kernel.banner, version: kernel.version, config };
  // The era from the kernel's code (symbols, types), the version only as the last resort.
  const decided = opts.era ? undefined : await kernelEra(kernel, defaultEra);
  const era = opts.era ?? decided!.era;
  const eraInfo = opts.era
    ? { eraFrom: ['--era'] }
    : { eraFrom: decided!.evidence, ...(decided!.stage ? { stage: decided!.stage } : {}), ...(decided!.redirectsInPeer === false ? { redirectsInPeer: false } : {}) };
  opts = { ...opts, era };
  const facts = factsForEra(era);
  const functions = [...new Set([...facts.wanted.map((w) => w.name), ...facts.probes.map((p) => p.fn)])];
  let members: string[] = [];
  let types = await loadKernelTypes(kernel, { wanted: { functions, members } });
  for (let round = 0; round < 8; round++) {
    const r = generateProbesFromTypes(desc, types, opts);
    if (r.unknownMembers.length === 0) {
      const { unknownMembers: _u, ...set } = r;
      void _u;
      return settleInlined({ ...set, ...eraInfo }, kernel, types);
    }
    members = [...new Set([...members, ...r.unknownMembers])];
    types = await loadKernelTypes(kernel, { wanted: { functions, members } });
  }
  throw new Error('probe generation: member discovery did not converge');
}

/**
 * With DWARF at hand (a vmlinux whose BTF pahole made, or read through gdb), a wanted function
 * without code of its own is either inlined everywhere or not in this kernel at all: the DWARF
 * says which (btf/inlined.ts), so the report never calls a function inlined that the kernel
 * does not have (ipv4_validate_peer on 2.6.39).
 */
async function settleInlined(set: ProbeSet, kernel: KernelInfo, types: KernelTypes): Promise<ProbeSet> {
  const vmlinux = kernel.btf.kind === 'dwarf' || (kernel.btf.kind === 'vmlinux' && / from the DWARF of /.test(types.source)) ? kernel.btf.path : undefined;
  if (!vmlinux) return set;
  const missing = set.coverage.filter((c) => c.status !== 'probed' && !(c.function in types.functions)).map((c) => c.function);
  if (missing.length === 0) return set;
  const { inlineVerdicts } = await import('../kernel/btf/inlined.ts');
  const { join } = await import('node:path');
  const v = await inlineVerdicts(vmlinux, missing, join(kernel.workDir, 'inlined.json'));
  if (!v) return set;
  const coverage = set.coverage.map((c): FunctionCoverage => {
    if (v.absent.includes(c.function)) return { function: c.function, role: c.role, status: 'absent', probes: [], reason: 'not in this kernel: its DWARF has no function of that name' };
    if (v.inlined.includes(c.function) && c.status === 'via-caller') return { ...c, reason: c.reason.replace(/^(inlined \(no BTF FUNC\)|not probed directly)/, 'inlined everywhere (in the DWARF, no code of its own)') };
    return c;
  });
  const inlined = coverage.filter((c) => c.status === 'via-caller' && v.inlined.includes(c.function)).map((c) => ({ function: c.function, via: c.via ?? [] }));
  // A probe on a function the kernel does not have would only be skipped by the guest.
  const gone = set.probes.filter((p) => v.absent.includes(p.function));
  const probes = set.probes.filter((p) => !gone.includes(p));
  const notes = [
    ...set.notes.filter((n) => !gone.some((p) => n.startsWith(`${p.event}: `))),
    ...gone.map((p) => `${p.event}: not generated: ${p.function} is not in this kernel`),
  ];
  return { ...set, coverage, inlined, probes, notes };
}
