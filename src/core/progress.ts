import cliProgress from 'cli-progress';
import { isInteractive, logSink } from './log.ts';

/**
 * A progress display for long work (kernel builds, boots, large traces):
 * a real bar on a TTY, nothing at all in CI or when stderr is not a terminal.
 */
export interface Progress {
  /** Set the total (units are the caller's: bytes, revisions, steps). */
  start(total: number, label: string): void;
  update(done: number, label?: string): void;
  increment(by?: number, label?: string): void;
  stop(): void;
}

const silent: Progress = {
  start() {},
  update() {},
  increment() {},
  stop() {},
};

export function createProgress(): Progress {
  if (!isInteractive()) return silent;
  const bar = new cliProgress.SingleBar(
    {
      // Interactive means the sink is a terminal: the command's own stderr.
      stream: logSink() as NodeJS.WriteStream,
      format: '{label} [{bar}] {percentage}% {value}/{total} {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start(total, label) {
      bar.start(total, 0, { label });
      running = true;
    },
    update(done, label) {
      if (running) bar.update(done, label === undefined ? undefined : { label });
    },
    increment(by = 1, label) {
      if (running) bar.increment(by, label === undefined ? undefined : { label });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
