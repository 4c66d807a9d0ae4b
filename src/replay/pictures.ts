/**
 * Replays that also draw: each file's events go through replay and into a timeline collector
 * (bounded memory), finished with the replay's divergences and the reader's gaps. The reports
 * are the same as replayFiles() gives; the timelines feed the HTML and Perfetto writers.
 */
import { replayFile, type FileReplayOptions, type FileReplayReport } from './files.ts';
import { TimelineCollector, type Timeline } from './timeline.ts';

export async function replayFilesWithTimelines(
  paths: readonly string[],
  opts: FileReplayOptions = {},
): Promise<{ reports: FileReplayReport[]; timelines: Timeline[] }> {
  const reports: FileReplayReport[] = [];
  const timelines: Timeline[] = [];
  for (const p of paths) {
    const collector = new TimelineCollector(p === '-' ? 'stdin' : p);
    const report = await replayFile(p, { ...opts, onEvent: (e) => collector.push(e) });
    reports.push(report);
    timelines.push(collector.finish(report.divergences, report.read.gaps));
  }
  return { reports, timelines };
}
