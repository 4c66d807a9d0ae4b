/**
 * What one line of a trace leaves for the lines after it, as data: the state a chunk read from
 * the middle of a file must start from to read as the single-thread reader reads. The open calls
 * per entry probe and call context (the Emitter's, with their lines, timestamps, values and
 * `within` annotations), a refused probe whose error_log lines may follow, and whether the lines
 * are inside the dynamic events list. Everything else a LineProcessor keeps is either a count
 * (merged apart, stats.ts) or a cache whose content does not change what is read (learned
 * layouts, callers, the last task name).
 *
 * Two readers that reach a chunk boundary with equal states (isDeepStrictEqual of capture())
 * read the chunk alike, with one more condition the chunked reader checks apart: no task table
 * overflows (Emitter MAX_TASKS), since contexts with no open call left count there too.
 */
import { isDeepStrictEqual } from 'node:util';
import type { LineProcessor } from '../../line-processor.ts';
import type { OpenCallsState } from '../../emit.ts';
import type { ProbeRefusal } from '../../types.ts';

export interface CarryState {
  calls: OpenCallsState;
  refusal: ProbeRefusal | undefined;
  inDynamicEvents: boolean;
}

export const EMPTY_CARRY: CarryState = { calls: [], refusal: undefined, inDynamicEvents: false };

/** The processor's carry-over state (a copy). `emptyToo`: every call context's table entry, open call or not. */
export function captureCarry(proc: LineProcessor, emptyToo = false): CarryState {
  const { emitter, other } = proc.chunkState;
  return {
    calls: emitter.openCalls(emptyToo),
    refusal: other.refusal === undefined ? undefined : { ...other.refusal },
    inDynamicEvents: other.inDynamicEvents,
  };
}

/**
 * Start the processor from this state. The refusal is a copy: the lines of this chunk may add to
 * its error text, which the merge puts into the refusal as the chunk that listed it reported it
 * (ChunkCounts.carriedRefusalError).
 */
export function restoreCarry(proc: LineProcessor, state: CarryState): ProbeRefusal | undefined {
  const { emitter, other } = proc.chunkState;
  emitter.restoreOpenCalls(state.calls);
  other.refusal = state.refusal === undefined ? undefined : { ...state.refusal };
  other.inDynamicEvents = state.inDynamicEvents;
  return other.refusal;
}

export function sameCarry(a: CarryState | undefined, b: CarryState | undefined): boolean {
  return a !== undefined && b !== undefined && isDeepStrictEqual(a, b);
}
