/**
 * The statistics of a chunked read, made what one reader of the whole file makes: each chunk's
 * processor counts its own lines (ChunkCounts, taken by countsOf after its finish()), and
 * StatsMerger adds them up in chunk order. Counts and counts by kind or name are summed; the
 * first-N lists (line numbers per skip kind, malformed reasons, refused and registered probes,
 * gaps up to MAX_GAPS and the warning that says the rest are not listed) are cut where one
 * reader cuts them; name counts keep the order of first sight, which sorting by count keeps for
 * ties (unknownEvents, unmatched); last-seen values (kernel, CPUs, buffer entries) are the last
 * chunk's that saw one.
 */
import { entryNeverFired } from '../../read-stats.ts';
import type { TraceGap } from '../../events.ts';
import { EVENT_KINDS } from '../../events.ts';
import type { LineProcessor } from '../../line-processor.ts';
import { MAX_GAPS } from '../../line-processor.ts';
import type { CompiledMap } from '../../plan.ts';
import type { ProbeRefusal, SkipCount, SkipKind, TraceReadStats } from '../../types.ts';
import { SKIP_KINDS } from '../../types.ts';

/** As other-lines.ts and line-processor.ts bound their lists. */
const MAX_LIST = 10_000;
const MAX_MALFORMED_REASONS = 20;

export interface ChunkCounts {
  lines: number;
  eventLines: number;
  events: number;
  /** EVENT_KINDS order. */
  eventsByKind: number[];
  skipped: Record<SkipKind, SkipCount>;
  /** Name counts in order of first sight. */
  unknown: [string, number][];
  unmatched: [string, number][];
  markerHits: [string, number][];
  /** Lines per plan in this chunk, in the compiled map's order (plans, then function plans). */
  planHits: number[];
  unpairedReturns: number;
  /** The chunk's gaps (its own list, bounded as one reader bounds it). */
  gaps: TraceGap[];
  /** Its warnings, without the one about too many gaps (the merge says that once, for the file). */
  warnings: string[];
  probesRefused: ProbeRefusal[];
  probesRegistered: string[];
  /** kernel, cpus and entries as the chunk's lines last set them, in the order it first set them (their order in the statistics). */
  lastSet: [LastSetKey, unknown][];
  /** A refused probe open at the chunk's start: its error text at the chunk's end. */
  carriedRefusal?: ProbeRefusal;
}

/** Statistics the lines set (the last one to say it wins). */
const LAST_SET = ['kernel', 'cpus', 'entries'] as const;
type LastSetKey = (typeof LAST_SET)[number];

/** The plans in the order planHits lists them. */
export function planOrder(cm: CompiledMap): { name: string; hits: number }[] {
  return [...cm.plans.values(), ...cm.funcPlans.values()];
}

/**
 * The counts of a chunk's processor after finish(): `st` its own statistics, `hitsBefore` the plans'
 * hits when the chunk began (the compiled map is shared with the warm-up and earlier chunks).
 */
export function countsOf(proc: LineProcessor, st: TraceReadStats, cm: CompiledMap, hitsBefore: number[], events: number, firstLine: number, carried: ProbeRefusal | undefined): ChunkCounts {
  const s = proc.chunkState;
  const gapsOverflow = st.gaps.length > MAX_GAPS ? overflowWarning(st.gaps[MAX_GAPS]!) : undefined;
  const plans = planOrder(cm);
  return {
    lines: st.lines - (firstLine - 1), eventLines: st.eventLines, events,
    eventsByKind: EVENT_KINDS.map((k) => st.eventsByKind[k]),
    skipped: st.skipped,
    unknown: [...s.unknown], unmatched: [...s.emitter.unmatched], markerHits: [...s.markerHits],
    planHits: plans.map((p, i) => p.hits - hitsBefore[i]!),
    unpairedReturns: st.unpairedReturns, gaps: st.gaps,
    warnings: gapsOverflow === undefined ? st.warnings : removeOnce(st.warnings, gapsOverflow),
    probesRefused: st.probesRefused, probesRegistered: st.probesRegistered,
    lastSet: Object.keys(st).filter((k): k is LastSetKey => (LAST_SET as readonly string[]).includes(k) && st[k as LastSetKey] !== undefined).map((k) => [k, st[k]]),
    carriedRefusal: carried && { ...carried },
  };
}

/**
 * A chunk whose own bounded lists overflowed: the names it folded into "(other)" or left out of
 * a full list are not known, so no merge can say what one reader would have counted or listed.
 */
export function chunkListsOverflow(c: ChunkCounts): boolean {
  return (
    c.unknown.some(([n]) => n === OTHER) || c.unmatched.some(([n]) => n === OTHER) ||
    c.probesRefused.length >= MAX_LIST || c.probesRegistered.length >= MAX_LIST
  );
}

/** Per-name counters (counters.ts) fold names past their bound into this one. */
const OTHER = '(other)';

function overflowWarning(g: TraceGap): string {
  return `more than ${MAX_GAPS} gaps: the rest are not listed (line ${g.line} on)`;
}

function removeOnce(list: string[], s: string): string[] {
  const i = list.indexOf(s);
  return i === -1 ? list : [...list.slice(0, i), ...list.slice(i + 1)];
}

/** Adds chunks' counts into a reader's statistics, in chunk order; the statistics are live between chunks. */
export class StatsMerger {
  private readonly kinds = EVENT_KINDS.map(() => 0);
  private readonly unknown = new Map<string, number>();
  private readonly unmatched = new Map<string, number>();
  private readonly markerHits = new Map<string, number>();
  private readonly planHits: number[];
  private readonly plans: { name: string; returnOf?: string }[];
  private readonly reasons: string[] = [];
  private readonly registered = new Set<string>();

  constructor(private readonly st: TraceReadStats, cm: CompiledMap, private readonly maxLines: number) {
    this.plans = planOrder(cm);
    this.planHits = this.plans.map(() => 0);
  }

  add(c: ChunkCounts): void {
    const st = this.st;
    st.lines += c.lines;
    st.eventLines += c.eventLines;
    st.events += c.events;
    for (let i = 0; i < EVENT_KINDS.length; i++) st.eventsByKind[EVENT_KINDS[i]!] = this.kinds[i] += c.eventsByKind[i]!;
    for (const k of SKIP_KINDS) {
      const to = st.skipped[k];
      const from = c.skipped[k];
      to.count += from.count;
      for (const l of from.lines) if (to.lines.length < this.maxLines) to.lines.push(l);
    }
    // A reason is kept with each of the first malformed lines listed, up to MAX_MALFORMED_REASONS.
    const keep = Math.min(this.maxLines, MAX_MALFORMED_REASONS);
    for (const r of c.skipped.malformed.reasons ?? []) if (this.reasons.length < keep) this.reasons.push(r);
    if (this.reasons.length) st.skipped.malformed.reasons = this.reasons.slice();
    sumInto(this.unknown, c.unknown);
    sumInto(this.unmatched, c.unmatched);
    sumInto(this.markerHits, c.markerHits);
    for (let i = 0; i < this.planHits.length; i++) this.planHits[i]! += c.planHits[i]!;
    st.unpairedReturns += c.unpairedReturns;
    for (const g of c.gaps) {
      if (st.gaps.length < MAX_GAPS) st.gaps.push(g);
      else if (st.gaps.length === MAX_GAPS) {
        st.gaps.push({ ...g, count: undefined, more: true });
        st.warnings.push(overflowWarning(g));
      } else break;
    }
    if (c.carriedRefusal) {
      // The refusal was listed by an earlier chunk (the last one listed, if the list was not full).
      const last = st.probesRefused[st.probesRefused.length - 1];
      if (last && last.line === c.carriedRefusal.line && last.definition === c.carriedRefusal.definition) last.error = c.carriedRefusal.error;
    }
    for (const r of c.probesRefused) if (st.probesRefused.length < MAX_LIST) st.probesRefused.push(r);
    for (const name of c.probesRegistered) {
      if (st.probesRegistered.length < MAX_LIST && !this.registered.has(name)) {
        this.registered.add(name);
        st.probesRegistered.push(name);
      }
    }
    for (const [k, v] of c.lastSet) (st as unknown as Record<string, unknown>)[k] = v;
    st.warnings.push(...c.warnings);
    st.unknownEvents = sortedByCount(this.unknown);
    st.unmatched = sortedByCount(this.unmatched);
    st.probeHits = this.hits();
    st.entryNeverFired = entryNeverFired(this.plans, st.probeHits);
  }

  /** As LineProcessor.finish() builds them: plans, function plans, markers, unknown names. */
  private hits(): Record<string, number> {
    const hits: Record<string, number> = {};
    for (let i = 0; i < this.plans.length; i++) {
      const n = this.planHits[i]!;
      if (n) hits[this.plans[i]!.name] = (hits[this.plans[i]!.name] ?? 0) + n;
    }
    for (const [k, n] of this.markerHits) hits[k] = (hits[k] ?? 0) + n;
    for (const [k, n] of this.unknown) hits[k] = (hits[k] ?? 0) + n;
    return hits;
  }
}

function sumInto(to: Map<string, number>, from: [string, number][]): void {
  for (const [k, n] of from) to.set(k, (to.get(k) ?? 0) + n);
}

function sortedByCount(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
}
