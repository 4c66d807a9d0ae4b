/**
 * The number of each chunk's first line: every chunk's lines are counted (its newlines) before it
 * is read, and a chunk's first line is 1 and the lines of the chunks before it.
 */

/**
 * The chunks' line counts, shared with the workers (SharedArrayBuffer): a worker counts its
 * chunk's lines first and stores the count, then adds up those before its chunk, waiting for any
 * not yet counted (Atomics.wait), without asking this thread (which may be busy replaying).
 */
export class SharedLineCounts {
  readonly counts: Int32Array;

  constructor(chunks: number) {
    // One slot per chunk (-1: not counted yet), and one more: 1 once the reader has stopped.
    this.counts = new Int32Array(new SharedArrayBuffer(4 * (chunks + 1)));
    this.counts.fill(-1, 0, chunks);
  }

  /** The reader stopped: a worker waiting for counts that will never come gives up. */
  static stop(counts: Int32Array): void {
    Atomics.store(counts, counts.length - 1, 1);
  }

  static stopped(counts: Int32Array): boolean {
    return Atomics.load(counts, counts.length - 1) === 1;
  }

  /** Chunks of at least `chunkBytes` but the last: at most this many. */
  static maxChunks(size: number, chunkBytes: number): number {
    return Math.floor(size / chunkBytes) + 1;
  }

  static store(counts: Int32Array, k: number, lines: number): void {
    Atomics.store(counts, k, lines);
    Atomics.notify(counts, k);
  }

  /** The first line of chunk k: 1 and the lines of the chunks before it, waiting for their counts. */
  static firstLine(counts: Int32Array, k: number): number {
    let line = 1;
    for (let j = 0; j < k; j++) {
      let n: number;
      while ((n = Atomics.load(counts, j)) < 0) {
        if (SharedLineCounts.stopped(counts)) throw new Error('the chunked reader stopped');
        Atomics.wait(counts, j, -1, 50);
      }
      line += n;
    }
    return line;
  }
}


/** First line numbers from the chunks' line counts. */
export class LineNumbers {
  private readonly counts: number[] = [];
  private readonly firsts: number[] = [1];

  count(k: number, lines: number): void {
    this.counts[k] = lines;
    for (let j = this.firsts.length - 1; this.counts[j] !== undefined; j++) this.firsts[j + 1] = this.firsts[j]! + this.counts[j]!;
  }

  first(k: number): number | undefined {
    return this.firsts[k];
  }
}

