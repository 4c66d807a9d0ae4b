/**
 * Round trip against the reference model: its conforming event stream, rendered as 3.0 ftrace
 * text (SeedTextRenderer), read back with the linux-3.0-seed map, gives back the checks and
 * their results, field for field.
 */
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../src/trace/render.ts';
import type { CanonicalEvent } from '../../src/trace/index.ts';
import { readText } from './helpers.ts';

function render(events: CanonicalEvent[]): string {
  const r = new SeedTextRenderer();
  return SEED_TEXT_HEADER + events.map((e) => r.render(e)).join('');
}

describe('model events → 3.0 ftrace text → reader', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: checks, returns, flushes and frees come back with their fields`, async () => {
      const model = [...generateEvents('pmtu-redirect', { seed, count: 3000 })];
      const { events, stats } = await readText(render(model));
      expect(stats.probeMap.name).toBe('linux-3.0-seed');
      expect(stats.skipped.malformed.count).toBe(0);
      expect(stats.unmatched).toEqual({});
      expect(stats.unknownEvents).toEqual({});
      const pick = (list: CanonicalEvent[], kind: string, keys: (keyof CanonicalEvent)[]) =>
        list.filter((e) => e.kind === kind).map((e) => keys.map((k) => e[k]));
      expect(pick(events, 'check', ['rt', 'peer', 'rtGenid', 'genid', 'daddr'])).toEqual(pick(model, 'check', ['rt', 'peer', 'rtGenid', 'genid', 'daddr']));
      expect(pick(events, 'check_ret', ['ret'])).toEqual(pick(model, 'check_ret', ['ret']));
      const valid = (l: CanonicalEvent[]) => l.filter((e) => e.kind === 'check_ret' && e.ret !== '0x0');
      expect(valid(events).map((e) => [e.peer, e.rtGenid, e.genid])).toEqual(valid(model).map((e) => [e.peer, e.rtGenid, e.genid]));
      expect(pick(events, 'flush', ['genid'])).toEqual(pick(model, 'flush', ['genid']));
      const lookups = (l: CanonicalEvent[]) => l.filter((e) => e.kind === 'bind_ret' && e.probe === 'getpeer_ret').map((e) => [e.daddr, e.create, e.peer]);
      expect(lookups(events)).toEqual(lookups(model));
    });
  }
});

describe('workload markers between the rendered paths (the benchmark trace)', () => {
  /** Model events as text with a marker about every `every` events, as bench/trace.bench.ts writes them. */
  function withMarkers(model: CanonicalEvent[], every: number, respectPaths: boolean): string {
    const r = new SeedTextRenderer();
    let out = SEED_TEXT_HEADER;
    let n = 0;
    let next = every;
    for (const e of model) {
      out += r.render(e);
      if (++n >= next && (!respectPaths || !r.pathOpen)) {
        out += r.render({ kind: 'marker', file: '', line: 0, text: `=== WL step ${n}` });
        next = n + every;
      }
    }
    return out;
  }

  it('markers written only outside open PMTU/redirect paths keep the trace conformant, every bump seen', async () => {
    const { replaySync } = await import('../../src/replay/index.ts');
    const model = [...generateEvents('pmtu-redirect', { seed: 7, count: 20000 })];
    const { events } = await readText(withMarkers(model, 50, true));
    expect(events.filter((e) => e.kind === 'marker').length).toBeGreaterThan(100);
    const rep = replaySync(events, { era: 'pmtu-redirect' });
    expect(rep.divergences).toEqual([]);
    expect(rep.verdict).toBe('conformant');
    const bumps = (l: CanonicalEvent[]) => l.filter((e) => e.kind === 'genid_bump' && e.new !== e.old).length;
    expect(bumps(events)).toBe(bumps(model));
  });

  it('a marker inside an open path cuts it before its bump: replay sees a redirect/frag_needed that did not bump', async () => {
    const { replaySync } = await import('../../src/replay/index.ts');
    const model = [...generateEvents('pmtu-redirect', { seed: 7, count: 20000 })];
    const { events } = await readText(withMarkers(model, 7, false));
    const rep = replaySync(events, { era: 'pmtu-redirect' });
    expect(rep.verdict).toBe('divergent');
    // (It also cuts an update_pmtu before its check_peer_pmtu: a return without it.)
    expect(rep.divergences.every((d) => d.invariant === 'genid-steps-by-one-per-bump' || d.invariant === 'update-pmtu-runs-check-peer-pmtu')).toBe(true);
  });
});
