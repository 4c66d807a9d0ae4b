/**
 * Probe generation: from the era's protocol facts and the kernel's own types, the kprobe_events
 * definitions (richest syntax the kernel accepts), the same as bpftrace, the probe map for the
 * trace reader, and the one-pass kallsyms check for the guest.
 *
 *   const set = await generateProbes(kernel, { era: 'fnhe' });   // ProbeSet
 *   set.kallsyms.script        // sh/awk run once in the guest: prints "@@SYM want name" lines, then "@@SYM_END"
 *   const final = resolveAgainstKallsyms(set, guestOutput);       // ResolvedProbeSet: what to register
 *   renderKprobeEvents(final)  // definitions with # comments (f: lines need dynamic_events: eventsFile(def))
 *   renderBpftrace(set)        // a bpftrace script
 *   set.probeMap               // src/trace/probemap.ts JSON: parseProbeMap(set.probeMap, name) for the reader
 *
 * Each ProbeDef has `line` (richest syntax) and, where it differs, `fallback` (register syntax,
 * same event and field names) to register if the kernel refuses `line`.
 */
export type {
  ProbeFormat, ProbeSyntax, ProbeField, ProbeDef, FunctionCoverage, KallsymsCheck,
  ProbeSet, GenerateOptions, ResolvedProbeSet,
} from './types.ts';
export { generateProbes, generateProbesFromTypes, defaultEra, defaultSyntax } from './generate.ts';
export { ERA_FACTS, type WantedFunction } from './facts.ts';
export { resolveAgainstKallsyms, parseKallsymsAnswer } from './kallsyms.ts';
export { renderKprobeEvents, renderProbeHeader } from './kprobe.ts';
export { renderBpftrace } from './bpftrace.ts';
export { renderProbes } from './render.ts';
export { eventsFile, formatLine } from './line.ts';
export { parseProbeLine, FEATURES_6_1, type ParsedProbeLine, type LineFeature } from './grammar.ts';
export { runProbes, PROBE_FORMATS, type ProbesCommandOptions } from './command.ts';
