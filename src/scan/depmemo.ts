/**
 * A memo of results computed by the C evaluator, keyed on everything the computation read of
 * the file: the evaluator records each name it looked up (found or not), each pattern it tested
 * against the whole text, and any read of the whole text (CProgram.reads). A result is reused
 * for another text only when every one of those reads gives the same answer there: the same
 * definition text for every name, the same answer for every pattern, the same text when it was
 * read whole. The dependency set comes from the evaluator, not from a guess at what it calls, so
 * a helper it runs by name (ip_rt_update_pmtu from the PMTU operations) cannot be missed.
 *
 * Entries live in memory only (per thread, shared between worker threads of one process); the
 * context string still names the analyser version, so a key never means two different analyses.
 */
import { createHash } from 'node:crypto';
import type { CProgram } from '../ceval/index.ts';

/** What one result read, as plain data (it travels between threads). */
export interface DepSet {
  /** Names looked up, sorted. */
  names: string[];
  /** Patterns tested against the whole text: [flags, source], sorted. */
  tests: [string, string][];
  /** The whole text was read: only the same text gives the same result. */
  wholeText: boolean;
}

type Spans = Record<string, { start: number; end: number }[]>;

/** A memoised result as plain data. */
export interface MemoEntry<V> {
  key: string;
  deps: DepSet;
  /** Line spans of each name's definitions in the text the result was computed on. */
  spans: Spans;
  value: V;
}

/** A hit: the value, and how to move its line numbers to where the definitions are in the new text. */
export interface MemoHit<V> {
  value: V;
  moveLine: (line: number) => number;
}

function depsId(d: DepSet): string {
  return JSON.stringify([d.names, d.tests, d.wholeText]);
}

/** The dependency set a program's reads make (snapshot). */
export function depsOf(program: CProgram): DepSet {
  return {
    names: [...program.reads.names].sort(),
    tests: [...program.reads.tests.keys()].map((k): [string, string] => {
      const i = k.indexOf('/');
      return [k.slice(0, i), k.slice(i + 1)];
    }).sort((a, b) => (a.join('/') < b.join('/') ? -1 : 1)),
    wholeText: program.reads.wholeText,
  };
}

/** The key of `program`'s text under a dependency set: what each recorded read answers there. */
export function keyUnder(program: CProgram, source: string, deps: DepSet, context: string): string {
  const h = createHash('sha256').update(context);
  for (const n of deps.names) h.update('\0n').update(n).update('\0').update(program.resolution(n).text);
  for (const [flags, src] of deps.tests) h.update('\0t').update(flags).update('/').update(src).update(program.matches(new RegExp(src, flags)) ? '1' : '0');
  if (deps.wholeText) h.update('\0w').update(source);
  return h.digest('hex');
}

function spansOf(program: CProgram, deps: DepSet): Spans {
  const out: Spans = {};
  for (const n of deps.names) {
    const s = program.resolution(n).spans;
    if (s.length > 0) out[n] = s;
  }
  return out;
}

/**
 * Maps a line of the text a result was computed on to the same line of a text whose reads answer
 * the same: by the definition that contains it. undefined for a line outside every definition read.
 */
function lineMover(from: Spans, to: Spans): (line: number) => number | undefined {
  return (line) => {
    for (const [name, spans] of Object.entries(from)) {
      const i = spans.findIndex((s) => s.start <= line && line <= s.end);
      const target = to[name]?.[i];
      if (i >= 0 && target) return line + target.start - spans[i]!.start;
    }
    return undefined;
  };
}

export class DepMemo<V> {
  private readonly entries = new Map<string, MemoEntry<V>>();
  /** Distinct dependency sets of the entries, with how many entries use each. */
  private readonly sets = new Map<string, { deps: DepSet; uses: number }>();
  private unshared: MemoEntry<V>[] = [];
  readonly stats = { hits: 0, misses: 0, notStored: 0 };

  constructor(private readonly max = 256) {}

  /** The value computed on a text whose recorded reads all answer as they do in `program`'s. */
  lookup(program: CProgram, source: string, context: string): MemoHit<V> | undefined {
    for (const { deps } of this.sets.values()) {
      const e = this.entries.get(keyUnder(program, source, deps, context));
      if (!e) continue;
      const move = lineMover(e.spans, spansOf(program, e.deps));
      this.stats.hits++;
      // Every line of a stored value lies in a definition that was read (checked by store).
      return { value: e.value, moveLine: (l) => move(l) ?? l };
    }
    this.stats.misses++;
    return undefined;
  }

  /**
   * Stores a value computed on `program` (after the computation: its reads are complete).
   * `lines` are the line numbers the value names; a value naming a line outside every
   * definition read could not be moved to another text, so it is not stored.
   */
  store(program: CProgram, source: string, context: string, value: V, lines: number[]): boolean {
    const deps = depsOf(program);
    const spans = spansOf(program, deps);
    const inside = (l: number) => Object.values(spans).some((ss) => ss.some((s) => s.start <= l && l <= s.end));
    if (!lines.every(inside)) {
      this.stats.notStored++;
      return false;
    }
    const entry: MemoEntry<V> = { key: keyUnder(program, source, deps, context), deps, spans, value };
    this.add(entry);
    this.unshared.push(entry);
    if (this.unshared.length > this.max) this.unshared.shift();
    return true;
  }

  private add(e: MemoEntry<V>): void {
    if (this.entries.has(e.key)) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.values().next().value!;
      this.entries.delete(oldest.key);
      const id = depsId(oldest.deps);
      const s = this.sets.get(id);
      if (s && --s.uses <= 0) this.sets.delete(id);
    }
    this.entries.set(e.key, e);
    const id = depsId(e.deps);
    const s = this.sets.get(id);
    if (s) s.uses++;
    else this.sets.set(id, { deps: e.deps, uses: 1 });
  }

  /** Entries stored here since the last call (for the other threads). */
  exportShared(): MemoEntry<V>[] {
    const out = this.unshared;
    this.unshared = [];
    return out;
  }

  importShared(items: MemoEntry<V>[]): void {
    for (const it of items) this.add(it);
  }

  clear(): void {
    this.entries.clear();
    this.sets.clear();
    this.unshared = [];
    this.stats.hits = 0;
    this.stats.misses = 0;
    this.stats.notStored = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
