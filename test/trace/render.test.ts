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
