/**
 * Replay from column batches (Replay.pushColumns: one reused event object per batch) gives the
 * same whole report as replay from the events as objects: verdict, era, divergences with their
 * lines, events and history text, coverage and per-invariant counts. A row replay kept without
 * copying it (own()) would change under it: the cases here replay batches of every size (1: a
 * boundary between any two events), with the string table restarting mid-trace and the batch
 * buffers reused, and once with a row object that is revoked after its push (any later read of a
 * row kept by mistake throws, naming the place).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERAS, STAGES, type Era, type Stage } from '../../src/model/index.ts';
import { opsArbitrary, generateEvents, randomOps, renderEvents } from '../../src/model/generate.ts';
import { runSmp, smpArbitrary, SMP_FAULTS } from '../../src/model/smp.ts';
import { Replay, replayFile, type ReplayOptions, type ReplayReport } from '../../src/replay/index.ts';
import { BatchDecoder, BatchEncoder } from '../../src/trace/columns/batch.ts';
import { ColumnCursor, copyEv, setLiveRow } from '../../src/trace/columns/cursor.ts';
import { builtinProbeMap, type CanonicalEvent, type TraceGap } from '../../src/trace/index.ts';
import { readText, repoRoot, sharedTraces } from '../trace/helpers.ts';

interface ColumnWay {
  /** Events per batch. */
  batch: number;
  /** Strings the encoder keeps before its table restarts. */
  maxStrings?: number;
  /** Push each row as a revocable view of the cursor, revoked after its push. */
  revoke?: boolean;
  /** How Replay.pushColumns reads the batches (ReplayOptions.columns). */
  via?: 'objects' | 'cursor';
}

/** Gaps are given to both ways the same: before the first event after them (engine.ts). */
function viaObjects(evs: readonly CanonicalEvent[], opts: ReplayOptions): ReplayReport {
  const r = new Replay(opts);
  for (const e of evs) r.push(e);
  return r.finish();
}

function viaColumns(evs: readonly CanonicalEvent[], opts: ReplayOptions, way: ColumnWay): ReplayReport {
  const enc = new BatchEncoder(way.maxStrings);
  const dec = new BatchDecoder();
  const r = new Replay({ ...opts, columns: way.via ?? 'cursor' });
  const cursor = new ColumnCursor();
  for (let a = 0; a < evs.length; a += way.batch) {
    const b = enc.encode(evs.slice(a, a + way.batch));
    expect(b.objects).toBeUndefined();
    dec.accept(b);
    if (!way.revoke) r.pushColumns(b, dec.strings);
    else {
      const fill = cursor.at(b, dec.strings);
      for (let i = 0; i < b.n; i++) {
        fill(i);
        const { proxy, revoke } = Proxy.revocable(cursor.ev, {});
        setLiveRow(proxy);
        r.push(proxy);
        setLiveRow(undefined);
        revoke();
      }
    }
    // The buffer is filled again by the next batch, as the reader's worker does.
    if (b.buffer) enc.recycle(b.buffer);
  }
  return r.finish();
}

/** The report as data (what `--format json` prints). */
const data = (r: ReplayReport): unknown => JSON.parse(JSON.stringify(r));

const WAYS: ColumnWay[] = [{ batch: 5, maxStrings: 6, via: 'objects' }, { batch: 1 }, { batch: 3, maxStrings: 4 }, { batch: 64, maxStrings: 40 }, { batch: 4096 }, { batch: 1, revoke: true }, { batch: 7, maxStrings: 3, revoke: true }];

/** Same report every way; returns the objects' report. */
function sameEveryWay(events: readonly CanonicalEvent[], opts: ReplayOptions): ReplayReport {
  // The reader's own class (generated events are plain objects; the encoder takes Ev only).
  const evs = events.map((e) => copyEv(e));
  const want = viaObjects(evs, opts);
  for (const way of WAYS) expect(data(viaColumns(evs, opts, way)), JSON.stringify(way)).toEqual(data(want));
  return want;
}

/** A random change to an event: what a misbehaving kernel (or a damaged trace) shows. */
const mutation = fc.record({ at: fc.nat(), what: fc.nat(7), by: fc.integer({ min: 1, max: 3 }), pick: fc.nat() });
function mutate(evs: CanonicalEvent[], ms: { at: number; what: number; by: number; pick: number }[]): CanonicalEvent[] {
  const out = evs.map((e) => ({ ...e }));
  const pointers = [...new Set(out.flatMap((e) => [e.peer, e.rt, e.ret]).filter((p): p is string => p !== undefined))];
  for (const m of ms) {
    if (out.length === 0) break;
    const i = m.at % out.length;
    const e = out[i]! as Record<string, unknown>;
    const num = (f: string) => { if (typeof e[f] === 'number') e[f] = ((e[f] as number) + m.by) >>> 0; };
    const ptr = (f: string) => { if (typeof e[f] === 'string' && pointers.length) e[f] = pointers[m.pick % pointers.length]; };
    switch (m.what) {
      case 0: num('genid'); break;
      case 1: num('rtGenid'); break;
      case 2: ptr('peer'); break;
      case 3: ptr('ret'); break;
      case 4: out.splice(i, 1); break;
      case 5: out.splice(i, 0, { ...out[i]! }); break;
      case 6: num('mtu'); num('rtMtu'); num('new'); break;
      default: e.create = e.create === 0 ? 1 : 0;
    }
  }
  return out;
}

interface Case {
  name: string;
  era: Era;
  stage?: Stage;
}
const CASES: Case[] = ERAS.flatMap((era): Case[] => (era === 'pmtu-redirect' ? STAGES.map((stage) => ({ name: `${era} ${stage}`, era, stage })) : [{ name: era, era }]));

describe.each(CASES)('generated $name events: the same report from columns as from objects', ({ era, stage }) => {
  it('conforming and mutated sequences, with gaps, era given and detected (property)', () => {
    let divergent = 0;
    fc.assert(
      fc.property(opsArbitrary(era, { maxLength: 50 }), fc.nat(2 ** 31), fc.array(mutation, { maxLength: 3 }), fc.array(fc.nat(400), { maxLength: 2 }), fc.boolean(), (ops, g, ms, gapLines, detect) => {
        const evs = mutate([...renderEvents(era, ops, { file: 'gen', init: { genid: g, netGenid: 5, stage } })], ms);
        const gaps: TraceGap[] = gapLines.map((line) => ({ file: 'gen', line, reason: 'lost' }));
        const r = sameEveryWay(evs, { ...(detect ? {} : { era }), stage, gaps, maxDivergences: 5 });
        if (r.verdict === 'divergent') divergent++;
      }),
      { numRuns: 60 },
    );
    // The mutations made some traces divergent (their divergence records were compared too).
    if (era !== 'pre-genid') expect(divergent).toBeGreaterThan(0);
  });

  it('a long generated stream', () => {
    const r = sameEveryWay([...generateEvents(era, { seed: 11, count: 3000, init: { stage } })], { era, stage });
    expect(r.coverage.events).toBeGreaterThan(2000);
  });

  it.runIf(era === 'pmtu-redirect' && stage === 'S3')('random sequences with the era detected (events held until it is)', () => {
    const r = sameEveryWay([...renderEvents(era, randomOps(era, 5, 300))], {});
    expect(r.era).toBe(era);
  });
});

describe('a batch of other objects (JSON lines, not the reader\'s events)', () => {
  it('travels as the objects themselves and replays as they do, either way', () => {
    const evs = [...renderEvents('pmtu-redirect', randomOps('pmtu-redirect', 9, 200), { file: 'gen' })];
    const want = data(viaObjects(evs, { era: 'pmtu-redirect' }));
    for (const columns of ['cursor', 'objects'] as const) {
      const r = new Replay({ era: 'pmtu-redirect', columns });
      const dec = new BatchDecoder();
      const b = new BatchEncoder().encode(evs);
      expect(b.objects).toBeDefined();
      dec.accept(b);
      r.pushColumns(b, dec.strings);
      expect(data(r.finish())).toEqual(want);
    }
  });
});

describe('events read from text: the same report from columns as from objects', () => {
  const map = builtinProbeMap('linux-3.0-seed');

  it('interleaved calls on 2-4 CPUs, conforming and with one faulty call (property)', async () => {
    let faulty = 0;
    await fc.assert(
      fc.asyncProperty(smpArbitrary({ frag: true, ident: true }), fc.option(fc.tuple(fc.constantFrom(...SMP_FAULTS), fc.nat(3), fc.nat(7)), { nil: undefined }), fc.constantFrom<Stage>(...STAGES), async (sc0, f, stage) => {
        const sc = { ...sc0, genid: sc0.genid === 0 ? 1 : sc0.genid };
        const fault = f && { fault: f[0], task: f[1] % sc.tasks.length, call: 0 };
        if (fault) fault.call = f![2] % sc.tasks[fault.task]!.length;
        const t = runSmp(sc, fault, { stage });
        const read = await readText(t.text, { probeMap: map });
        const r = sameEveryWay(read.events, { era: 'pmtu-redirect', stage, gaps: read.stats.gaps });
        if (r.verdict === 'divergent') faulty++;
      }),
      { numRuns: 80 },
    );
    expect(faulty).toBeGreaterThan(0);
  });

  const dirs = [sharedTraces, resolve(repoRoot, 'traces'), resolve(repoRoot, 'test/replay/fixtures')];
  const files = dirs.flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => /trace|ftrace|capture/.test(f) && /\.(txt|log)(\.gz)?$/.test(f)).map((f) => resolve(d, f));
    } catch {
      return [];
    }
  });

  it('there are real traces to compare', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files)('%s', async (path) => {
    const read = await readText(readFileSync(path), { name: path, asIs: path.endsWith('.gz') });
    if (read.events.length === 0) return;
    sameEveryWay(read.events, { file: path, gaps: read.stats.gaps });
  });

  // The whole path of `peerprop replay`: the threaded and the chunked reader hand their columns to
  // replay as they came from their workers (columnBatches), read both ways; the report (with the
  // reader's statistics) is the single-thread one.
  it.each(files)('%s: replayFile on a worker thread, columns handed over', async (path) => {
    const want = data(await replayFile(path));
    for (const threads of [true, 2]) {
      for (const columns of ['cursor', 'objects'] as const) expect(data(await replayFile(path, { threads, columns })), `${threads} ${columns}`).toEqual(want);
    }
  });
});
