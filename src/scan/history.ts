/**
 * Verdicts per revision, straight from the object store. A revision is identified for the
 * analysis by the blob ids of the files scan reads (its content key): revisions that did not
 * touch them reuse the verdict computed for the first revision that had the same blobs.
 */
import type { ObjectReader, Revision } from './git.ts';
import type { Executor } from './pool.ts';
import { readRevisionSources, revisionBlobs } from './sources.ts';
import type { ScanEntry, Verdict } from './types.ts';

export interface HistoryStats {
  revisions: number;
  /** Distinct content keys actually analysed. */
  analysed: number;
  /** Revisions answered from the cache. */
  reused: number;
}

interface Cached {
  verdict: Promise<Verdict>;
  firstRevision: string;
}

export class RevisionScanner {
  private readonly cache = new Map<string, Cached>();
  readonly stats: HistoryStats = { revisions: 0, analysed: 0, reused: 0 };

  constructor(
    private readonly reader: ObjectReader,
    private readonly executor: Executor,
  ) {}

  /** The verdict of one revision (analysed once per distinct content key). */
  async scan(rev: Revision): Promise<ScanEntry> {
    const blobs = await revisionBlobs(this.reader, rev.oid);
    this.stats.revisions++;
    let cached = this.cache.get(blobs.key);
    let reusedFrom: string | undefined;
    if (cached) {
      this.stats.reused++;
      reusedFrom = cached.firstRevision;
    } else {
      this.stats.analysed++;
      const verdict = readRevisionSources(this.reader, blobs).then((s) => this.executor.analyse(s));
      cached = { verdict, firstRevision: rev.oid };
      this.cache.set(blobs.key, cached);
    }
    const verdict = await cached.verdict;
    return {
      target: rev.oid,
      kind: 'revision',
      short: rev.oid.slice(0, 12),
      subject: rev.subject,
      contentKey: blobs.key,
      ...(reusedFrom ? { reusedFrom } : {}),
      verdict,
    };
  }

  /**
   * Every revision, results in the given order. Up to `window` revisions are in flight, so the
   * workers stay busy while the object store is read, and memory stays bounded on long ranges.
   */
  async scanAll(revs: Revision[], onDone?: (done: number) => void, window = 64): Promise<ScanEntry[]> {
    const out: ScanEntry[] = new Array(revs.length);
    let next = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (next < revs.length) {
        const i = next++;
        out[i] = await this.scan(revs[i]!);
        onDone?.(++done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, Math.max(1, revs.length)) }, lane));
    return out;
  }
}
