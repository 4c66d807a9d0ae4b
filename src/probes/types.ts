/**
 * The probe generator's output: everything the harness needs to register probes in a guest,
 * everything a user needs to read them, and the map that turns their trace lines into
 * canonical events (src/trace/events.ts) without a hand-written map.
 */
import type { Era, Stage } from '../model/types.ts';
import type { ProbeMapJson } from '../trace/probemap.ts';

export type ProbeFormat = 'kprobe' | 'bpftrace' | 'json';

/**
 * What a kernel's kprobe_events accepts (measured by booting each kernel).
 * 'regs': registers, $argN on p:, +off(%reg) derefs, bitfields, r: with $retval (6.1 and older; 3.x lacks x32/`0x`).
 * 'btf':  additionally BTF argument names, a->b.c fields, $argN on r:, f: fprobes (6.10+ with BTF; 6.12).
 */
export type ProbeSyntax = 'regs' | 'btf';

/** One fetched field of a probe. */
export interface ProbeField {
  /** Field name as it appears in the trace line (`rt_genid=...`). */
  name: string;
  /** The plan's expression it came from (`dst<rtable>->rt_genid`, see src/probes/expr.ts). */
  expr: string;
  /** The fetch in the probe's own syntax (`+0x70(%di)` on 6.1, `rt->rt_genid` or `+0x88($arg1)` on 6.12). */
  fetch: string;
  /** The fetch in register syntax for the fallback line; undefined = left out of the fallback. */
  fallbackFetch?: string;
  /** kprobe type (`x64`, `u32`, `s32`, `s16`, `b31@1/32`, `x32`). */
  type: string;
  /** How the trace prints it: hex pointer, ipv4 (network order u32), decimal, hex. */
  as: 'pointer' | 'ipv4' | 'int' | 'hex';
  /**
   * For bpftrace: the value as a C expression over `arg0..arg5` / `retval` with casts to the
   * kernel's struct types (`((struct dst_entry *)arg0)->dev->nd_net.net->ipv4.rt_genid.counter`).
   */
  c?: string;
  /** Which argument registers / symbols the C expression reads (bpftrace return probes save args at entry). */
  args?: number[];
  signed?: boolean;
  size?: number;
}

export interface ProbeDef {
  /** Event name (without group), unique in the set: `dst_check`, `dst_check_ret`. */
  event: string;
  /** Trace event group (`rtg`). */
  group: string;
  /** p: kprobe entry, r: kretprobe, f: fprobe entry, fret: fprobe exit (`f:... func%return`). */
  type: 'p' | 'r' | 'f' | 'fret';
  /** Probed symbol: the function, or its compiler clone (`rt_set_nexthop.constprop.0`) once the guest's kallsyms named it. */
  symbol: string;
  /** The function as the facts name it. */
  function: string;
  fields: ProbeField[];
  /** The kprobe_events line (`p:rtg/dst_check ipv4_dst_check dst=%di:x64 ...`). */
  line: string;
  /**
   * A more conservative line with the SAME event name and a subset of the same field names
   * (register/offset fetches, p:/r: instead of f:), for the guest to try if the kernel refuses
   * `line`. Undefined when `line` is already the most conservative form.
   */
  fallback?: string;
  /**
   * Fields the fallback leaves out to stay under the 128-byte line limit of old tracers
   * (fit.ts); the full line is tried first.
   */
  shortened?: string[];
  /** Why this probe exists, in one phrase (printed as a comment). */
  why: string;
  /** Fields the plan wanted that this kernel cannot give, with the reason. */
  dropped: { field: string; reason: string }[];
}

/** For each function the era's facts want observed: how it is observed. */
export interface FunctionCoverage {
  function: string;
  /** The protocol role: 'check', 'stamp', 'bump', 'compare', 'learn', 'flush', 'create', 'context'. */
  role: string;
  /**
   * probed: a probe sits on it. via-caller: inlined/absent, observed through `via`.
   * not-observable: nothing sees it (reason says why). unresolved: depends on the guest's kallsyms.
   * absent: the kernel does not have it (its DWARF says so): nothing to observe.
   */
  status: 'probed' | 'via-caller' | 'not-observable' | 'unresolved' | 'absent';
  /** Events that observe it (its own, or its callers'). */
  probes: string[];
  /**
   * via-caller: the functions whose probes observe it. probed/unresolved: documented callers
   * that would still observe it if the guest turns out not to have the symbol.
   */
  via?: string[];
  reason: string;
}

/** The one-pass guest-side symbol check. */
export interface KallsymsCheck {
  /** Symbols wanted (base names; clones `name.constprop.N`/`name.isra.N` count as the base). */
  symbols: string[];
  /**
   * A POSIX sh snippet (busybox awk) that reads /proc/kallsyms once and prints one line per
   * wanted symbol found: `@@SYM <wanted> <kallsyms-name>`, then `@@SYM_END`.
   */
  script: string;
}

export interface ProbeSet {
  kernel: { release: string; banner: string; btf: string; version: [number, number, number] };
  era: Era;
  /** What decided the era (the kernel's symbols and types, or `--era`). */
  eraFrom?: string[];
  /** pmtu-redirect: the stage of the 2.6.39 .. 3.5 history the code shows. */
  stage?: Stage;
  /** pmtu-redirect: false when the code learns PMTU in the inetpeer but not redirects yet (kernel/era.ts). */
  redirectsInPeer?: boolean;
  syntax: ProbeSyntax;
  /** Trace event group of every probe. */
  group: string;
  probes: ProbeDef[];
  coverage: FunctionCoverage[];
  /** Functions the kernel inlined (no BTF FUNC / known inlined), with their observing callers. */
  inlined: { function: string; via: string[] }[];
  /** The probe map (src/trace/probemap.ts format) that turns these probes' trace lines into canonical events. */
  probeMap: ProbeMapJson;
  kallsyms: KallsymsCheck;
  /** Notes for the header comment (missing offsets, clones ...). */
  notes: string[];
}

export interface GenerateOptions {
  /** Default: from the kernel version (>= 3.6 fnhe; 2.6.39..3.5 pmtu-redirect). */
  era?: Era;
  /** Default: 'btf' when the kernel is >= 6.10 and has BTF, else 'regs'. */
  syntax?: ProbeSyntax;
  /** Trace event group; default 'rtg'. */
  group?: string;
  /** Also probe these noisy functions (e.g. 'dst_release'); default none. */
  extra?: string[];
}

/** The set actually registered after the guest's kallsyms answer. */
export interface ResolvedProbeSet extends ProbeSet {
  /** Probes whose symbol the guest lacks (dropped). */
  dropped: { event: string; symbol: string; reason: string }[];
}
