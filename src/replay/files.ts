/**
 * Replaying trace files: each file through the reader (src/trace) and its own replay.
 */
import type { Era } from '../model/types.ts';
import { ERAS } from '../model/types.ts';
import { openTrace, type CanonicalEvent, type OpenTraceOptions, type ProbeMap, type TraceReadStats } from '../trace/index.ts';
import { Replay } from './engine.ts';
import type { ReplayOptions, ReplayReport } from './types.ts';

export interface FileReplayOptions extends Omit<ReplayOptions, 'file' | 'gaps' | 'eraHint'> {
  /** A user's probe map (--probes FILE); default: auto-selected built-in map. */
  probeMap?: ProbeMap;
  /** Standard input, for '-'. */
  stdin?: NodeJS.ReadableStream;
  /** Sees every event after replay has (a timeline for the HTML and Perfetto reports). */
  onEvent?: (e: CanonicalEvent) => void;
  /** Kernel symbols (System.map / kallsyms path) for printers that print callers as addresses. */
  symbols?: string;
  /** Read on worker threads (OpenTraceOptions.threads); default: as openTrace decides. */
  threads?: OpenTraceOptions['threads'];
}

export interface FileReplayReport extends ReplayReport {
  read: TraceReadStats;
}

export async function replayFile(path: string, opts: FileReplayOptions = {}): Promise<FileReplayReport> {
  const reader = await openTrace(path, { probeMap: opts.probeMap, input: path === '-' ? opts.stdin : undefined, symbols: opts.symbols, threads: opts.threads });
  let replay: Replay | undefined;
  let gapsSeen = 0;
  /** Before each batch: the replay (made once the reader knows its probe map) with the gaps known so far. */
  const ready = (): Replay => {
    if (!replay) {
      const hint = reader.stats.probeMap && (ERAS as readonly string[]).includes(mapEra(opts.probeMap, reader.stats)) ? (mapEra(opts.probeMap, reader.stats) as Era) : undefined;
      replay = new Replay({ ...opts, file: reader.file, eraHint: hint });
    }
    const gaps = reader.stats.gaps;
    if (gaps.length > gapsSeen) {
      replay.addGaps(gaps.slice(gapsSeen));
      gapsSeen = gaps.length;
    }
    return replay;
  };
  // A reader whose events arrive as columns hands them over as they are (Replay.pushColumns
  // reads them), unless every event is wanted as an object.
  const columns = opts.onEvent ? undefined : reader.columnBatches?.();
  if (columns) for await (const part of columns) ready().pushColumns(part.batch, part.table);
  else for await (const batch of reader.batches()) {
    replay = ready();
    if (opts.onEvent) {
      for (const e of batch) {
        replay.push(e);
        opts.onEvent(e);
      }
    } else for (const e of batch) replay.push(e);
  }
  if (!replay) replay = new Replay({ ...opts, file: reader.file });
  const gaps = reader.stats.gaps;
  if (gaps.length > gapsSeen) replay.addGaps(gaps.slice(gapsSeen));
  return { ...replay.finish(reader.stats), read: reader.stats };
}

/** The era the probe map declares, if any (a hint only). Maps name the 3.0 kernels "seed": that is our pmtu-redirect. */
function mapEra(map: ProbeMap | undefined, stats: TraceReadStats): string {
  const era = (map as { era?: string } | undefined)?.era ?? (stats.probeMap as { era?: string }).era ?? '';
  return era === 'seed' ? 'pmtu-redirect' : era;
}

export async function replayFiles(paths: readonly string[], opts: FileReplayOptions = {}): Promise<FileReplayReport[]> {
  const out: FileReplayReport[] = [];
  for (const p of paths) out.push(await replayFile(p, opts));
  return out;
}
