/**
 * Process-wide memory policy of the commands that stream traces (replay, the main job).
 *
 * A trace is read in constant memory, but V8 by default lets a busy heap grow well past what is
 * live before collecting it (a 1 GB trace peaked at 150-180 MB RSS, about half of it garbage).
 * `--optimize-for-size` makes it collect sooner: 1 GB in about 130 MB RSS for some 5 % of speed
 * (bench/trace.bench.ts measures both). Set at run time, before the trace is read: it applies to
 * the heap's growth from then on.
 */
import v8 from 'node:v8';

let applied = false;

export function favourMemory(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--optimize-for-size');
}
