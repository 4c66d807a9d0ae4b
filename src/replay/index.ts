/**
 * Trace replay: canonical events through the reference model's predictions for an era.
 *
 *   const report = await replay(events, { era: 'pmtu-redirect' });   // events: array, generator, or reader.batches()
 *   const reports = await replayFiles(['trace.txt'], { maxDivergences: 10 });
 *   formatReports(reports, 'text' | 'json' | 'ktap' | 'junit');
 *   exitCodeFor(reports)  // 0 conformant, 1 divergent, 2 nothing to check
 */
export type { ReplayOptions, ReplayReport, Divergence, Coverage, InvariantCoverage, HistoryLine, Verdict } from './types.ts';
export { replay, replaySync, Replay, type EventSource } from './engine.ts';
export { replayFile, replayFiles, type FileReplayOptions, type FileReplayReport } from './files.ts';
export { formatReports, toText, toTestResult, coverageText, REPLAY_FORMATS, PICTURE_FORMATS, type ReplayFormat, type PictureInputs } from './format.ts';
export { replayFilesWithTimelines } from './pictures.ts';
export { TimelineCollector, type Timeline, type TimelineLane, type TimelineMark } from './timeline.ts';
export { REPLAY_INVARIANTS, describeEvent } from './coverage.ts';
export { eraSignal } from './era.ts';
import { ExitCode } from '../core/errors.ts';
import type { ReplayReport } from './types.ts';

/** 1 if any trace diverges, else 2 if any had nothing to check, else 0. */
export function exitCodeFor(reports: readonly ReplayReport[]): ExitCode {
  if (reports.some((r) => r.verdict === 'divergent')) return ExitCode.Findings;
  if (reports.length === 0 || reports.some((r) => r.verdict === 'nothing-to-check')) return ExitCode.BadInput;
  return ExitCode.Clean;
}
