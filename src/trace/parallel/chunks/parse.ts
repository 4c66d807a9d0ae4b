/**
 * Reading one chunk of a regular file (a range of whole lines) as the single-thread reader reads
 * those lines: the same LineProcessor, given the file in the same 64 KB pieces (aligned on the
 * same file offsets, so that lines spanning pieces, overlong lines and the ASCII test of each
 * piece come out the same), starting from a carry-over state (carry.ts) and numbering from the
 * chunk's first line. Used by the workers and, for a chunk whose start state turned out wrong,
 * by the main thread.
 */
import { readSync } from 'node:fs';
import { badInput, PeerpropError, type ExitCode } from '../../../core/errors.ts';
import type { CanonicalEvent } from '../../events.ts';
import type { TraceFormat } from '../../types.ts';
import type { ProbeMap } from '../../probemap.ts';
import type { CompiledMap } from '../../plan.ts';
import { compileMap } from '../../compile-map.ts';
import { emptyStats } from '../../read-stats.ts';
import { LineProcessor } from '../../line-processor.ts';
import { captureCarry, restoreCarry, type CarryState } from './carry.ts';
import { countsOf, planOrder, type ChunkCounts } from './stats.ts';

/** The single-thread reader's piece size (source.ts): pieces start at multiples of it. */
export const PIECE = 1 << 16;

/** What every reader of the file's chunks is given (structured-cloneable). */
export interface ChunkSetup {
  path: string;
  /** The name in events and statistics. */
  file: string;
  format: TraceFormat;
  map: ProbeMap;
  maxLines: number;
  textPath: boolean;
}

/** One chunk: bytes [start, end) of the file, lines from `firstLine`; `last`: it ends the file. */
export interface ChunkSpan {
  k: number;
  start: number;
  end: number;
  last: boolean;
}

export interface ChunkResult {
  /** The state its reading started from (undefined when the warm-up failed) and ended with. */
  startState: CarryState | undefined;
  endState: CarryState;
  counts: ChunkCounts;
  /** Call contexts given a task table entry while reading the chunk (after its start), per entry probe. */
  taskKeysSeen: [string, number[]][];
  /** Call contexts in the task tables at the chunk's end. */
  taskKeysEnd: [string, number[]][];
  /** Task tables that overflowed while reading the chunk. */
  taskTableClears: number;
  /** Bad input found at a line of the chunk (after the events before it). */
  error?: ChunkError;
}

/** An error as it crosses threads: a PeerpropError's parts, or another error's message and stack. */
export interface ChunkError {
  message: string;
  exitCode?: number;
  location?: { file: string; line?: number; column?: number };
  stack?: string;
}

export function chunkError(e: unknown): ChunkError {
  if (e instanceof PeerpropError) return { message: e.message, exitCode: e.exitCode, location: e.location };
  return { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

export function rebuildError(m: ChunkError): Error {
  if (m.exitCode !== undefined) return new PeerpropError(m.message, m.exitCode as ExitCode, m.location);
  const e = new Error(`trace reader (chunked): ${m.message}`);
  if (m.stack) e.stack = m.stack;
  return e;
}

const keyLists = (m: Map<string, Set<number>>): [string, number[]][] => [...m].map(([name, set]) => [name, [...set]]);

export class ChunkParser {
  readonly cm: CompiledMap;
  private readonly piece = Buffer.allocUnsafe(PIECE);

  constructor(readonly setup: ChunkSetup, private readonly fd: number) {
    this.cm = compileMap(setup.map);
  }

  /** Another parser of the same file, with a map of its own (its plans count their own lines). */
  fresh(): ChunkParser {
    return new ChunkParser(this.setup, this.fd);
  }

  /** A processor numbering from `firstLine`; `trackKeys`: it keeps the call contexts it sees (ChunkResult.taskKeysSeen). */
  newProcessor(firstLine: number, trackKeys = true): LineProcessor {
    const s = this.setup;
    const proc = new LineProcessor(s.file, s.format, this.cm, emptyStats(s.file), s.maxLines, s.textPath);
    proc.startAtLine(firstLine);
    if (trackKeys) proc.chunkState.emitter.trackTaskKeys();
    return proc;
  }

  /** Feed bytes [from, to) to the processor in the file's 64 KB pieces; each piece's events go to onEvents. */
  feed(proc: LineProcessor, from: number, to: number, onEvents: (evs: CanonicalEvent[]) => void): void {
    let pos = from;
    while (pos < to) {
      const pieceEnd = Math.min(to, (Math.floor(pos / PIECE) + 1) * PIECE);
      const buf = this.read(pos, pieceEnd - pos);
      pos += buf.length;
      const evs = proc.chunk(buf);
      if (evs.length) onEvents(evs);
    }
  }

  /** Bytes [pos, pos+len) (a view of the piece buffer, valid until the next read). */
  read(pos: number, len: number): Buffer {
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, this.piece, got, len - got, pos + got);
      // Cut short while read (truncated, or replaced): what it held when opened cannot be read whole.
      if (n === 0) throw badInput(`the trace file ended at byte ${pos + got}, before the ${pos + len} it had when the reading began (it was cut short while read)`, { file: this.setup.file });
      got += n;
    }
    return this.piece.subarray(0, len);
  }

  /** Newlines in bytes [from, to). */
  countLines(from: number, to: number): number {
    let n = 0;
    for (let pos = from; pos < to; ) {
      const buf = this.read(pos, Math.min(PIECE, to - pos));
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
      pos += buf.length;
    }
    return n;
  }

  /**
   * The start of the warm-up for a chunk starting at `start`: the first line that starts in the
   * `warmBytes` before it (the file's start when it is nearer).
   */
  warmStart(start: number, warmBytes: number): number {
    if (start <= warmBytes) return 0;
    const buf = this.read(start - warmBytes, Math.min(warmBytes, PIECE));
    const nl = buf.indexOf(10);
    // The window may be longer than a piece: the rest is searched piece by piece.
    if (nl !== -1) return start - warmBytes + nl + 1;
    for (let pos = start - warmBytes + buf.length; pos < start; ) {
      const b = this.read(pos, Math.min(PIECE, start - pos));
      const i = b.indexOf(10);
      if (i !== -1) return pos + i + 1;
      pos += b.length;
    }
    return start;
  }

  /**
   * Read one chunk from `from` (a state, or a warm-up: the state guessed by reading the lines of
   * the `warmBytes` before the chunk, their events and counts thrown away). Events go to onEvents.
   */
  run(span: ChunkSpan, firstLine: number, from: CarryState | { warmBytes: number }, onEvents: (evs: CanonicalEvent[]) => void): ChunkResult {
    let startState: CarryState | undefined;
    if ('warmBytes' in from) {
      const w = this.warmStart(span.start, from.warmBytes);
      const warm = this.newProcessor(firstLine - this.countLines(w, span.start));
      try {
        this.feed(warm, w, span.start, () => undefined);
        startState = captureCarry(warm);
      } catch {
        startState = undefined; // the chunk is read again from the true state
      }
    } else startState = from;
    const proc = this.newProcessor(firstLine);
    const carried = startState === undefined ? undefined : restoreCarry(proc, startState);
    const hitsBefore = planOrder(this.cm).map((p) => p.hits);
    let events = 0;
    let error: ChunkError | undefined;
    const out = (evs: CanonicalEvent[]): void => {
      events += evs.length;
      onEvents(evs);
    };
    try {
      this.feed(proc, span.start, span.end, out);
      if (span.last) {
        const evs = proc.end();
        if (evs.length) out(evs);
      }
    } catch (e) {
      error = chunkError(e);
    }
    proc.finish();
    const em = proc.chunkState.emitter;
    return {
      startState,
      endState: captureCarry(proc),
      counts: countsOf(proc, proc.st, this.cm, hitsBefore, events, firstLine, carried),
      taskKeysSeen: keyLists(em.taskKeysSeen()),
      taskKeysEnd: em.openCalls(true).map(([name, tasks]) => [name, tasks.map(([k]) => k)]),
      taskTableClears: em.taskTableClears,
      error,
    };
  }
}
