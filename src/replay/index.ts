/**
 * Trace replay: canonical events through the reference model's predictions for an era.
 *
 *   const report = await replay(events, { era: 'pmtu-redirect' });   // events: array, generator, or reader.batches()
 *   const reports = await replayFiles(['trace.txt'], { maxDivergences: 10 });
 *   formatReports(reports, 'text' | 'json' | 'ktap' | 'junit');
 *   formatPictures(reports, 'html' | 'perfetto', { timelines, ... })   // from replayFilesWithTimelines()
 *   exitCodeFor(reports)  // 0 conformant, 1 divergent, 2 nothing to check
 */
export type { ReplayOptions, ReplayReport, Divergence, Coverage, InvariantCoverage, HistoryLine, Verdict } from './types.ts';
export { replay, replaySync, Replay, type EventSource } from './engine.ts';
export { replayFile, replayFiles, type FileReplayOptions, type FileReplayReport } from './files.ts';
export { formatReports, toText, toTestResult, coverageText, REPLAY_FORMATS, PICTURE_FORMATS, type ReplayFormat } from './render.ts';
export { replayFilesWithTimelines, formatPictures, type PictureInputs } from './pictures.ts';
export { exitCodeFor } from './exit-code.ts';
export { TimelineCollector, type Timeline, type TimelineLane, type TimelineMark } from './timeline.ts';
export { REPLAY_INVARIANTS, describeEvent } from './coverage.ts';
export { eraSignal } from './era.ts';
