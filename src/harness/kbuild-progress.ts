/**
 * Following a kernel `make`'s quiet output (`  CC      net/ipv4/route.o`) as a progress bar:
 * each compiled, assembled, linked or archived object is a step; when the guess of the total is
 * passed, the scale grows by `growth`. Shared by the modern out-of-tree build and the seed-era one.
 */
import type { Progress } from '../core/progress.ts';

export interface KbuildFollower {
  /** Objects built so far. */
  done(): number;
  /** The last line make printed on stdout ('' when none). */
  lastLine(): string;
}

export function followKbuild(stdout: NodeJS.ReadableStream, progress: Progress, expected: number, growth: number): KbuildFollower {
  let total = expected;
  let done = 0;
  let last = '';
  let buf = '';
  progress.start(total, 'kernel build');
  stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      last = line;
      if (/^\s+(CC|AS|LD|AR)\s/.test(line)) {
        done++;
        if (done >= total) {
          total = Math.round(total * growth);
          progress.start(total, 'kernel build');
        }
        progress.update(done, `kernel build: ${line.trim().split(/\s+/).pop()}`);
      }
    }
  });
  return { done: () => done, lastLine: () => last };
}
