/**
 * Trace reading: trace files (ftrace text, trace-cmd report, raw serial captures, JSON lines,
 * bpftrace NDJSON; plain or gzip, xz, zstd, bzip2, lz4 (a damaged container is bad input); a path or '-'
 * for stdin) → canonical events, streaming.
 *
 *   const reader = await openTrace('traces/linux-3.0.1_run1-s1.ftrace.txt');
 *   for await (const batch of reader.batches()) for (const ev of batch) ...;
 *   reader.stats  // format, lines, events by kind, skipped lines by kind, gaps, refused probes, map used
 *
 * Probe maps (probemap.ts) say how probe lines become events; builtinProbeMaps() lists the maps
 * shipped in src/trace/maps/ (and src/probes/maps/), loadProbeMap(path) reads a user's
 * (`--probes FILE`). Without one, the map is chosen by the probe names and fields of the first MB.
 *
 * Order and numbering: events come in trace order with the 1-based line of the line that made
 * them. An event derived from an entry/return pair is emitted when the return is read; with
 * `at: "entry"` it carries the entry's line (and timestamp), so it may number lower than an
 * event emitted just before it (lines between an entry and its return). Gaps (lost events) are in
 * `stats.gaps` as soon as the batch that contains them is yielded.
 *
 * Event objects all have every CanonicalEvent field as an own property (undefined when not
 * observed): test `!== undefined`, not `in`. JSON.stringify drops the undefined ones.
 */
export type { CanonicalEvent, EventKind, TraceGap } from './events.ts';
export { EVENT_KINDS } from './events.ts';
export type {
  TraceFormat, SkipKind, SkipCount, ProbeRefusal, ProbeMapChoice, TraceReadStats,
  OpenTraceOptions, TraceReader,
} from './types.ts';
export { SKIP_KINDS } from './types.ts';
export type {
  ProbeMap, ProbeMapJson, ProbeRule, EmitSpec, PairSpec, FieldSourceSpec, ConditionSpec, Radix,
  Ipv4Order, MappableField,
} from './probemap.ts';
export { parseProbeMap, knownProbeNames, PROBE_MAP_SCHEMA, FIELD_TYPES } from './probemap.ts';
export { loadProbeMap } from './probemap-load.ts';
export { builtinProbeMaps, builtinProbeMap, selectProbeMap } from './maps/index.ts';
export { openTrace, readTrace } from './reader.ts';
export { formatReadStats } from './summary.ts';
export { detectFormat } from './detect.ts';
