/**
 * Invariant names are one typed vocabulary: the model defines each of its names once, replay's
 * own names are described, and what replay reports on real traces (under every era, so that the
 * divergence paths run too) is always a known name.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isInvariantId, MODEL_INVARIANT_IDS, REPLAY_ONLY_INVARIANT_IDS, type InvariantId } from '../../src/core/invariants.ts';
import { ERAS } from '../../src/core/eras.ts';
import { INVARIANTS } from '../../src/model/invariants.ts';
import { REPLAY_INVARIANTS } from '../../src/replay/coverage.ts';
import { replayFile } from '../../src/replay/index.ts';
import { Recorder } from '../../src/replay/coverage.ts';

const traces = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'traces');

describe('invariant names', () => {
  it('the model defines each of its names exactly once', () => {
    expect(INVARIANTS.map((i) => i.name).sort()).toEqual([...MODEL_INVARIANT_IDS].sort());
  });

  it("replay's own names are described and distinct from the model's", () => {
    for (const id of REPLAY_ONLY_INVARIANT_IDS) {
      expect(REPLAY_INVARIANTS[id], id).toMatch(/\w+ \w+/);
      expect((MODEL_INVARIANT_IDS as readonly string[]).includes(id), id).toBe(false);
    }
  });

  it('tells a known name from a misspelt one at run time', () => {
    expect(isInvariantId('check-restamps')).toBe(true);
    expect(isInvariantId('slow-path-looks-up-peer')).toBe(true);
    expect(isInvariantId('check-restamp')).toBe(false);
  });

  it('a misspelt name does not compile (tsc --noEmit checks the lines marked below)', () => {
    const rec = new Recorder(1);
    // @ts-expect-error 'check-restamp' is not an invariant
    const bad: InvariantId = 'check-restamp';
    // @ts-expect-error nor is 'genid-steps-by-one'
    rec.pass('genid-steps-by-one');
    expect(isInvariantId(bad)).toBe(false);
    // At run time the recorder takes any string: the type is what guards it.
    expect(rec.coverage().invariants.map((i) => i.name)).toEqual(['genid-steps-by-one']);
  });

  const files = readdirSync(traces).filter((f) => /\.(ftrace|trace|ttyS1-trace)\.txt$/.test(f)).sort();
  it.each(files)('replaying %s under every era reports known names only', async (f) => {
    expect(files.length).toBeGreaterThan(2);
    const seen = new Set<string>();
    for (const era of ERAS) {
      const r = await replayFile(resolve(traces, f), { era });
      for (const i of r.coverage.invariants) seen.add(i.name);
      for (const d of r.divergences) seen.add(d.invariant);
    }
    expect(seen.size).toBeGreaterThan(3);
    expect([...seen].filter((n) => !isInvariantId(n))).toEqual([]);
  });
});
