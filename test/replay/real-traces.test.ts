/**
 * The real traces (traces/, copies of ../shared/traces) replay conformant under their era, with a
 * coverage that says what was checked; a copy with one injected fault (test/helpers/inject.ts) is
 * caught at the fault's line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applicableFaults, injectFault, type FaultKind } from '../helpers/inject.ts';
import { exitCodeFor, replayFile } from '../../src/replay/index.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const traces = resolve(repoRoot, 'traces');
const expected = JSON.parse(readFileSync(resolve(traces, 'expected.json'), 'utf8')).traces as Record<string, { verdict: string; exitCode: number }>;

/** The model profile of each kernel: 3.0.1 has the seed and its PMTU/redirect follow-ups; 6.1 has exceptions. */
const eraOf = (name: string) => (name.startsWith('linux-3.0.1') ? 'pmtu-redirect' : 'fnhe');

describe.each(Object.keys(expected))('real trace %s', (name) => {
  const path = resolve(traces, name);

  it('replays with the expected verdict, under the right era, and checks the core invariants', async () => {
    const r = await replayFile(path);
    expect(r.divergences).toEqual([]);
    expect(r.verdict).toBe(expected[name]!.verdict);
    expect(exitCodeFor([r])).toBe(expected[name]!.exitCode);
    expect(r.era).toBe(eraOf(name));
    const checked = Object.fromEntries(r.coverage.invariants.map((i) => [i.name, i.checked]));
    if (r.era === 'pmtu-redirect') {
      for (const inv of ['check-restamps', 'genid-steps-by-one-per-bump', 'lookup-only-never-creates-peer', 'bind-never-replaces-peer', 'slow-path-looks-up-peer', 'check-bind-is-lookup-only']) {
        expect(checked[inv], inv).toBeGreaterThan(0);
      }
      expect(r.coverage.genidBumps).toBeGreaterThan(0);
    } else {
      for (const inv of ['check-fails-iff-stale', 'new-route-current-genid', 'route-genid-fixed-at-creation', 'netns-genid-monotonic']) expect(checked[inv], inv).toBeGreaterThan(0);
    }
    expect(r.coverage.checks).toBeGreaterThan(0);
  });

  const faults = applicableFaults(readFileSync(path, 'latin1'));
  it.each(faults)('catches an injected %s at its line', async (fault: FaultKind) => {
    let tried = 0;
    for (let occ = 0; occ < 4; occ++) {
      const f = await injectFault(path, fault, { occurrence: occ });
      if (occ >= f.candidates) break;
      tried++;
      // The kernel's stage is known (3.0.1: S3): some faults are only faults in their stage.
      const r = await replayFile(f.path, eraOf(name) === 'pmtu-redirect' ? { stage: 'S3' } : {});
      expect(r.verdict, f.note).toBe('divergent');
      expect(exitCodeFor([r])).toBe(1);
      // The first divergence is at the fault's line. (A kretprobe'd ipv4_dst_check prints its
      // return twice; the probe map keeps the copy that names the caller, so a fault written
      // into both copies shows at the kept one, which the helper lists in alsoEdited.)
      const lines = [f.line, ...(/after-flush|after-exception/.test(fault) ? f.alsoEdited : [])];
      expect(lines, `${fault} #${occ}: ${f.note}; got ${r.divergences[0]?.line} ${r.divergences[0]?.message}`).toContain(r.divergences[0]!.line);
      expect(r.divergences[0]!.history.length).toBeGreaterThan(0);
    }
    expect(tried).toBeGreaterThan(0);
  });
});
