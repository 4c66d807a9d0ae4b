/**
 * The trace reader's public types: what openTrace() returns and what it reports about the
 * lines it could not turn into events.
 */
import type { CanonicalEvent, EventKind, TraceGap } from './events.ts';
import type { ProbeMap } from './probemap.ts';

/**
 * Input formats, detected from the first bytes/lines:
 * - 'ftrace'    tracing/trace or trace_pipe text (any header, flag columns, TGID column);
 * - 'trace-cmd' `trace-cmd report` text (version/cpus preamble, EVENTS DROPPED markers);
 * - 'serial'    a raw serial/console capture (CRLF, `@@` harness markers, printk noise) with ftrace
 *               text inside (between @@TRACE_BEGIN/@@TRACE_END or `=== TRACE BEGIN/END`);
 * - 'jsonl'     canonical events, one JSON object per line;
 * - 'bpftrace'  bpftrace `-f json` NDJSON (printf lines in `event: name=value ...` form, lost_events);
 * - 'unknown'   nothing recognisable (binary, empty): zero events, everything counted.
 */
export type TraceFormat = 'ftrace' | 'trace-cmd' | 'serial' | 'jsonl' | 'bpftrace' | 'unknown';

/**
 * Why a line produced no canonical event. Every line of the input is counted exactly once:
 * lines = eventLines + sum(skipped[*].count), where eventLines are lines that produced >= 1 event
 * or were consumed by pairing ('paired').
 */
export type SkipKind =
  /** Empty lines. */
  | 'blank'
  /** `#` header lines, trace-cmd preamble (`version = 6`, `cpus=N`, `CPU N is empty`). */
  | 'header'
  /** `CPU:N [LOST N EVENTS]`, `CPU:N [N EVENTS DROPPED]`, `##### CPU N buffer started ####` (each also a gap). */
  | 'lost'
  /** An event line whose probe the map does not know (see unknownEvents for names). */
  | 'unknownEvent'
  /** A probe the map knows and deliberately ignores (e.g. dst_release). */
  | 'ignored'
  /** An entry (or `within`) probe kept for pairing; its events are emitted when the return arrives. */
  | 'paired'
  /** A mapped probe whose line matched no rule (e.g. a getpeer return from an unmapped caller). */
  | 'unmatched'
  /** A rule's `when` conditions rejected it (NULL exception, ERR_PTR route). */
  | 'filtered'
  /** `=> func` stack trace lines and `<stack trace>` events. */
  | 'stacktrace'
  /** Lines of another tracer (function, function_graph). */
  | 'otherTracer'
  /** Harness markers of a serial capture (`@@...`, error_log continuation lines, dynamic events). */
  | 'serial'
  /** Console noise in a serial capture (printk lines, shell output). */
  | 'noise'
  /** A line that looks like nothing we know, or a bad JSONL line. */
  | 'malformed'
  /** The last line, when the input ends without a newline: it may be cut short, so it is not read. */
  | 'cut';

export const SKIP_KINDS: readonly SkipKind[] = [
  'blank', 'header', 'lost', 'unknownEvent', 'ignored', 'paired', 'unmatched', 'filtered',
  'stacktrace', 'otherTracer', 'serial', 'noise', 'malformed', 'cut',
];

export interface SkipCount {
  count: number;
  /** The first line numbers (1-based), at most `maxLineNumbers` (default 20). */
  lines: number[];
  /** For malformed lines: why, for the first lines (parallel to `lines`). */
  reasons?: string[];
}

/** A probe definition the kernel refused (serial captures: @@PROBE_FAIL + error_log text). */
export interface ProbeRefusal {
  /** The definition as the harness tried it (`p:rtgf/fnhe_k update_or_create_fnhe ...`). */
  definition: string;
  /** Event name (`fnhe_k`), group (`rtgf`). */
  name?: string;
  group?: string;
  /** The kernel's error_log text that followed, if any (`trace_kprobe: error: Invalid fetch argument`). */
  error?: string;
  line: number;
}

export interface ProbeMapChoice {
  name: string;
  source: string;
  /** 'user' (--probes / opts.probeMap), 'auto' (chosen by the probe names in the trace), 'none'. */
  chosenBy: 'user' | 'auto' | 'none';
  /** One sentence: why this map (e.g. "covers 17 of 18 probe names seen in the first 1 MB"). */
  reason: string;
  /** The era the map says it was written for (its `era`), if it says one. */
  era?: string;
}

export interface TraceReadStats {
  /** The file as the user named it (`-` for stdin, or opts.name). */
  file: string;
  format: TraceFormat;
  compression?: import('./decompress-types.ts').Compression;
  /** Bytes of decoded text read. */
  bytes: number;
  lines: number;
  /** Lines that produced at least one event: lines = eventLines + the sum of skipped counts. */
  eventLines: number;
  /** Canonical events emitted, in total and by kind. */
  events: number;
  eventsByKind: Record<EventKind, number>;
  /** Trace event lines seen (mapped or not), by probe name: how often each probe fired. */
  probeHits: Record<string, number>;
  skipped: Record<SkipKind, SkipCount>;
  /** Probe names not in the map, with counts. */
  unknownEvents: Record<string, number>;
  /** `probe <- caller` (or `probe`) with counts, for lines no rule matched. */
  unmatched: Record<string, number>;
  /** Returns whose paired entry was not seen (its entry fields are absent on the events). */
  unpairedReturns: number;
  /**
   * Return probes that fired while their entry probe never did in this trace (not registered,
   * refused, filtered out): their returns are not calls in progress across the start or a gap.
   */
  entryNeverFired: string[];
  gaps: TraceGap[];
  /** Serial captures: probes the kernel refused, and those it accepted. */
  probesRefused: ProbeRefusal[];
  probesRegistered: string[];
  /** Kernel version if the capture says it (`@@KERNEL 6.1.0-56-cloud-amd64`, `Linux version ...`). */
  kernel?: string;
  /** CPUs according to the header (`#P:N`, `cpus=N`). */
  cpus?: number;
  /** Header `entries-in-buffer/entries-written: A/B`. */
  entries?: { inBuffer: number; written: number };
  probeMap: ProbeMapChoice;
  /** The printer that wrote the text (ftrace, trace-cmd report, perf script ...) and its options. */
  printer?: import('./printer-setup.ts').PrinterReport;
  /** Problems that did not stop reading (zero padding after gzip data, ...). */
  warnings: string[];
  /** True once iteration finished (stats are complete). */
  complete: boolean;
}

export interface OpenTraceOptions {
  /** The map to use; default: auto-selected among builtinProbeMaps() by the probe names seen. */
  probeMap?: ProbeMap;
  /** Extra candidate maps for auto-selection (e.g. those the probe generator wrote). */
  candidateMaps?: readonly ProbeMap[];
  /** Name used in events' `file` and in stats (default: the path as given, `-` for stdin). */
  name?: string;
  /** Read from this stream instead of the path (tests; stdin is used for '-'). */
  input?: NodeJS.ReadableStream;
  /** How many line numbers to keep per skip kind (default 20). */
  maxLineNumbers?: number;
  /** Read every line through the general text path (no byte fast path): for differential tests. */
  textPath?: boolean;
  /**
   * Kernel symbols (System.map or kallsyms text of the traced boot; a path or loaded) for
   * printers that print code addresses as hex (trace-cmd report, perf script).
   */
  symbols?: string | import('./symbols.ts').Symbols;
  /** Force a format instead of detecting it. */
  format?: TraceFormat;
  /**
   * Read a regular file on a worker thread while the caller consumes the events (parallel/threaded.ts):
   * true for any regular file, false never; by default only with PEERPROP_TRACE_THREADS=1 (files of
   * 32 MB and more, several cores). Same events and statistics either way.
   * A number N: a regular file of ftrace or trace-cmd text is split into chunks read by N worker
   * threads (parallel/chunks; PEERPROP_TRACE_WORKERS=N, or `all`, for files of 32 MB and more).
   */
  threads?: boolean | number;
}

export interface TraceReader {
  readonly file: string;
  /**
   * The events, in trace order, in batches (one batch per input chunk, typically a few
   * thousand events). Iterate once. Never throws on bad lines: they are counted in stats.
   */
  batches(): AsyncIterable<CanonicalEvent[]>;
  /** The same, one event at a time (convenience; slower). */
  events(): AsyncIterable<CanonicalEvent>;
  /**
   * Optional (readers whose events cross threads as columns): the same batches, in the same order
   * and with the same gaps in stats before each, as columns instead of objects, for a consumer that
   * reads them in place (Replay.pushColumns). Iterate once, instead of batches(). A part is valid
   * until the next one is asked for (its buffer is then filled again).
   */
  columnBatches?(): AsyncIterable<import('./columns/batch.ts').ColumnPart>;
  /** Complete after iteration (stats.complete); format and probeMap are set as soon as reading starts. */
  readonly stats: TraceReadStats;
}
