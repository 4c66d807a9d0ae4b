/**
 * What a picture of a trace needs, collected while the trace streams by, in bounded memory: one
 * lane per route (and per next-hop exception / peer where the era has them), the genid as a step
 * series, bumps, flushes, markers, lost-event gaps and the CPUs. A large trace is summarised, never
 * copied: at most MAX_LANES lanes keep their events (MAX_LANE_EVENTS each), every later route is
 * folded into counts, and routes with a divergence are brought to the front from a small ring of
 * their latest events.
 *
 *   const t = new TimelineCollector('trace.txt');
 *   for (const e of events) t.push(e);
 *   const timeline = t.finish(report.divergences, gaps);
 */
import type { CanonicalEvent, TraceGap } from '../trace/events.ts';
import type { Divergence } from './types.ts';
import { describeEvent } from './coverage.ts';
import { own } from '../trace/columns/cursor.ts';

/** Lanes that keep their events (the rest are folded into counts). */
export const MAX_LANES = 120;
/** Events kept per lane: the first ones, then the last ones in a ring. */
export const MAX_LANE_EVENTS = 80;
/** Routes remembered (ring of latest events) so that a divergent route can still be drawn. */
const RECENT_ROUTES = 4096;
const RECENT_EVENTS = 16;
const MAX_SERIES = 4000;
const MAX_MARKS = 600;

export interface TimelineMark {
  /** Position on the time axis: the trace timestamp (s), or the line number where there is none. */
  t: number;
  line: number;
  kind: CanonicalEvent['kind'];
  cpu?: number;
  pid?: number;
  /** One line: the event as replay describes it. */
  text: string;
  /** The event itself, until finish() describes it (only kept marks are ever described). */
  ev?: CanonicalEvent;
  /** check_ret: 'valid' (the dst) or 'null'. */
  result?: 'valid' | 'null';
  /** The divergence (index in the report) shown at this event. */
  divergence?: number;
}

export interface TimelineLane {
  id: string;
  kind: 'route' | 'exception' | 'peer';
  label: string;
  daddr?: string;
  first: number;
  last: number;
  events: number;
  marks: TimelineMark[];
  /** Events of this lane not kept (the middle of a long life). */
  dropped: number;
  cpus: number[];
  divergences: number[];
}

export interface GenidPoint {
  t: number;
  line: number;
  value: number;
  /** 'peer' (global __rt_peer_genid), 'rt' or 'fnhe' (per namespace), with the namespace. */
  counter: string;
}

export interface Timeline {
  file: string;
  /** 'ts' when the trace has timestamps (seconds), else 'line' (positions are line numbers). */
  axis: 'ts' | 'line';
  start: number;
  end: number;
  lanes: TimelineLane[];
  folded: { lanes: number; events: number };
  genid: GenidPoint[];
  bumps: TimelineMark[];
  flushes: TimelineMark[];
  markers: TimelineMark[];
  gaps: { t: number; line: number; count?: number; cpu?: number }[];
  cpus: number[];
  /** Events seen in all. */
  events: number;
  /** Series or marks thinned to stay small (how many points were left out). */
  thinned: number;
  /** Divergences on no lane (the global genid, a lookup of no known route), as marks. */
  loose: TimelineMark[];
}

interface LaneRec extends TimelineLane {
  ring: TimelineMark[];
  ringAt: number;
  cpuSet: Set<number>;
}

export class TimelineCollector {
  private readonly lanes = new Map<string, LaneRec>();
  private readonly kept: LaneRec[] = [];
  /** Latest events of routes that have no kept lane (bounded, oldest route forgotten first). */
  private readonly recent = new Map<string, { label: string; kind: TimelineLane['kind']; daddr?: string; first: number; events: number; marks: TimelineMark[] }>();
  private folded = { lanes: 0, events: 0 };
  private axis: 'ts' | 'line' | undefined;
  private lastT = 0;
  private start: number | undefined;
  private events = 0;
  private readonly genid: GenidPoint[] = [];
  private readonly lastGenid = new Map<string, number>();
  private readonly bumps: TimelineMark[] = [];
  private readonly flushes: TimelineMark[] = [];
  private readonly markers: TimelineMark[] = [];
  private readonly cpus = new Set<number>();
  private thinned = 0;
  /** (line, position) samples, thinned by doubling the stride: places a gap that has no timestamp. */
  private samples: { line: number; t: number }[] = [];
  private stride = 1;

  constructor(private readonly file: string) {}

  private position(e: CanonicalEvent): number {
    if (this.axis === undefined) this.axis = e.ts !== undefined ? 'ts' : 'line';
    const t = this.axis === 'ts' ? (e.ts ?? this.lastT) : e.line;
    this.lastT = t;
    if (this.start === undefined) this.start = t;
    return t;
  }

  push(e: CanonicalEvent): void {
    this.events++;
    const t = this.position(e);
    if (this.events % this.stride === 0) {
      this.samples.push({ line: e.line, t });
      if (this.samples.length >= 2 * MAX_SERIES) {
        this.samples = this.samples.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
    if (e.cpu !== undefined) this.cpus.add(e.cpu);
    const mark = (): TimelineMark => {
      // Described at finish(), and only if kept: most events of a long trace are folded.
      const m: TimelineMark = { t, line: e.line, kind: e.kind, text: '', ev: own(e) };
      if (e.cpu !== undefined) m.cpu = e.cpu;
      if (e.pid !== undefined) m.pid = e.pid;
      if (e.kind === 'check_ret' && e.ret !== undefined) m.result = /^0x0+$|^0$/.test(e.ret) ? 'null' : 'valid';
      return m;
    };
    this.observeGenid(e, t);
    switch (e.kind) {
      case 'genid_bump':
        this.capped(this.bumps, mark());
        break;
      case 'flush':
        this.capped(this.flushes, mark());
        break;
      case 'marker':
        this.capped(this.markers, mark());
        return;
    }
    const lane = laneOf(e);
    if (!lane) return;
    this.addToLane(lane, e, mark());
  }

  private capped(list: TimelineMark[], m: TimelineMark): void {
    if (list.length < MAX_MARKS) list.push(m);
    else this.thinned++;
  }

  private observeGenid(e: CanonicalEvent, t: number): void {
    const value = e.kind === 'genid_bump' ? (e.new ?? e.genid) : e.kind === 'check_ret' && e.ret !== undefined && /^0x0+$/.test(e.ret) ? undefined : e.genid;
    if (value === undefined) return;
    const counter = e.counter === 'rt' || e.counter === 'fnhe' || e.net !== undefined ? `${e.counter ?? 'rt'}${e.net ? ` ${e.net}` : ''}` : 'peer';
    if (this.lastGenid.get(counter) === value) return;
    this.lastGenid.set(counter, value);
    if (this.genid.length < MAX_SERIES) this.genid.push({ t, line: e.line, value, counter });
    else this.thinned++;
  }

  private addToLane(key: { id: string; kind: TimelineLane['kind']; label: string }, e: CanonicalEvent, m: TimelineMark): void {
    let lane = this.lanes.get(key.id);
    if (e.kind === 'route' && lane) {
      // A route event with a live pointer starts a new route (pointer reuse): a new lane.
      this.lanes.delete(key.id);
      lane = undefined;
    }
    if (!lane && this.kept.length < MAX_LANES) {
      lane = { ...key, first: m.t, last: m.t, events: 0, marks: [], dropped: 0, cpus: [], divergences: [], ring: [], ringAt: 0, cpuSet: new Set() };
      if (e.daddr !== undefined) lane.daddr = e.daddr;
      this.lanes.set(key.id, lane);
      this.kept.push(lane);
    }
    if (lane) {
      lane.events++;
      lane.last = m.t;
      if (lane.daddr === undefined && e.daddr !== undefined) lane.daddr = e.daddr;
      if (m.cpu !== undefined) lane.cpuSet.add(m.cpu);
      const head = MAX_LANE_EVENTS / 2;
      if (lane.marks.length < head) lane.marks.push(m);
      else {
        if (lane.ring.length < head) lane.ring.push(m);
        else {
          lane.ring[lane.ringAt] = m;
          lane.ringAt = (lane.ringAt + 1) % head;
          lane.dropped++;
        }
      }
      return;
    }
    // Folded: counted, and remembered for a while in case a divergence names it.
    this.folded.events++;
    let r = this.recent.get(key.id);
    if (!r || e.kind === 'route') {
      if (!r) this.folded.lanes++;
      r = { label: key.label, kind: key.kind, first: m.t, events: 0, marks: [] };
      this.recent.delete(key.id);
      this.recent.set(key.id, r);
      if (this.recent.size > RECENT_ROUTES) this.recent.delete(this.recent.keys().next().value as string);
    }
    if (e.daddr !== undefined) r.daddr = e.daddr;
    r.events++;
    r.marks.push(m);
    if (r.marks.length > RECENT_EVENTS) r.marks.shift();
  }

  /** The picture, once the replay has its divergences and the reader its gaps. */
  finish(divergences: readonly Divergence[] = [], gaps: readonly TraceGap[] = []): Timeline {
    const lanes: TimelineLane[] = this.kept.map((l) => {
      const ring = l.ring.slice(l.ringAt).concat(l.ring.slice(0, l.ringAt));
      const { ring: _r, ringAt: _a, cpuSet, ...rest } = l;
      return { ...rest, marks: l.marks.concat(ring), cpus: [...cpuSet].sort((a, b) => a - b) };
    });
    const byId = new Map(lanes.map((l) => [l.id, l]));
    const loose: TimelineMark[] = [];
    divergences.forEach((d, i) => {
      const id = d.rt ? `route:${d.rt}` : undefined;
      let lane = id ? byId.get(id) : undefined;
      if (!lane && id) {
        const r = this.recent.get(id);
        if (r) {
          lane = { id, kind: r.kind, label: r.label, first: r.first, last: r.marks[r.marks.length - 1]?.t ?? r.first, events: r.events, marks: r.marks, dropped: Math.max(0, r.events - r.marks.length), cpus: [...new Set(r.marks.flatMap((x) => (x.cpu === undefined ? [] : [x.cpu])))].sort((a, b) => a - b), divergences: [] };
          if (r.daddr !== undefined) lane.daddr = r.daddr;
          byId.set(id, lane);
          lanes.push(lane);
        }
      }
      if (lane) {
        lane.divergences.push(i);
        const at = lane.marks.find((x) => x.line === d.line && x.kind === d.event.kind);
        if (at) at.divergence = i;
        else {
          const t = this.axis === 'ts' ? (d.event.ts ?? lane.last) : d.line;
          lane.marks.push({ t, line: d.line, kind: d.event.kind, text: describeEvent(d.event), divergence: i });
          lane.marks.sort((a, b) => a.line - b.line);
        }
      } else {
        const t = this.axis === 'ts' ? (d.event.ts ?? this.lineToT(d.line)) : d.line;
        loose.push({ t, line: d.line, kind: d.event.kind, text: describeEvent(d.event), divergence: i });
      }
    });
    const describe = (m: TimelineMark): void => {
      if (m.ev) {
        m.text = describeEvent(m.ev);
        m.ev = undefined;
        delete m.ev;
      }
    };
    for (const l of lanes) l.marks.forEach(describe);
    for (const list of [this.bumps, this.flushes, this.markers]) list.forEach(describe);
    // Routes with divergences first, then in order of first appearance.
    lanes.sort((a, b) => (b.divergences.length > 0 ? 1 : 0) - (a.divergences.length > 0 ? 1 : 0) || a.first - b.first);
    const start = this.start ?? 0;
    return {
      file: this.file,
      axis: this.axis ?? 'line',
      start,
      end: Math.max(start, this.lastT),
      lanes,
      folded: this.folded,
      genid: this.genid,
      bumps: this.bumps,
      flushes: this.flushes,
      markers: this.markers,
      gaps: gaps.map((g) => ({ t: this.axis === 'ts' ? (g.ts ?? this.lineToT(g.line)) : g.line, line: g.line, ...(g.count !== undefined ? { count: g.count } : {}), ...(g.cpu !== undefined ? { cpu: g.cpu } : {}) })),
      cpus: [...this.cpus].sort((a, b) => a - b),
      events: this.events,
      thinned: this.thinned,
      loose,
    };
  }

  private lineToT(line: number): number {
    let t = this.start ?? 0;
    for (const s of this.samples) {
      if (s.line > line) break;
      t = s.t;
    }
    return t;
  }
}

/** Which lane an event belongs to: its route, else its next-hop exception or peer. */
function laneOf(e: CanonicalEvent): { id: string; kind: TimelineLane['kind']; label: string } | undefined {
  if (e.rt !== undefined && !/^0x0+$/.test(e.rt)) return { id: `route:${e.rt}`, kind: 'route', label: `route ${e.rt}` };
  if (e.kind === 'fnhe') {
    const k = e.fnhe ?? e.daddr;
    if (k !== undefined) return { id: `exception:${k}`, kind: 'exception', label: `exception ${e.daddr ?? k}` };
  }
  if (e.kind === 'peer_new' && e.peer !== undefined && !/^0x0+$/.test(e.peer)) return { id: `peer:${e.peer}`, kind: 'peer', label: `peer ${e.peer}${e.daddr ? ` (${e.daddr})` : ''}` };
  return undefined;
}
