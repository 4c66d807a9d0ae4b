/**
 * Replays that also draw: each file's events go through replay and into a timeline collector
 * (bounded memory), finished with the replay's divergences and the reader's gaps. The reports
 * are the same as replayFiles() gives; the timelines feed the HTML and Perfetto writers.
 */
import { replayFile, type FileReplayOptions, type FileReplayReport } from './files.ts';
import { TimelineCollector, type Timeline } from './timeline.ts';
import type { ReplayReport } from './types.ts';
import { replayHtml } from '../report/html/replay.ts';
import { toPerfetto } from '../report/perfetto.ts';

export interface PictureInputs {
  timelines: readonly Timeline[];
  exitCode: number;
  generator: string;
}

/** The HTML report or the Perfetto trace of replays, with the timelines collected while replaying. */
export function formatPictures(reports: readonly ReplayReport[], format: 'html' | 'perfetto', pictures: PictureInputs): string {
  return format === 'html' ? replayHtml(reports, pictures.timelines, pictures.exitCode, pictures.generator) : toPerfetto(reports, pictures.timelines);
}

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
