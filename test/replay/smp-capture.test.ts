/**
 * A real two-vCPU capture of Debian's 6.12 kernel (conform --smp 2, scenario smp-pmtu): one CPU
 * creates a PMTU exception (update_or_create_fnhe kills its next hop's cached routes inside the
 * call, after the entry probe) while the other CPU checks a route of the same next hop, which the
 * entry probe read alive and the C found killed. Correct kernel: conformant, that check unchecked.
 * Without the creation in the trace, the same NULL is a divergence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { replaySync } from '../../src/replay/index.ts';
import { readText, repoRoot } from '../trace/helpers.ts';

const text = gunzipSync(readFileSync(join(repoRoot, 'test/replay/fixtures/debian-6.12-smp-pmtu.capture.txt.gz'))).toString('latin1');
const REASON = "a new exception was being created on another CPU/task (it kills its next hop's routes inside the call)";

describe('a check racing with an exception being created on the other CPU (real 6.12 capture)', () => {
  it('replays conformant, the racing check unchecked', async () => {
    const read = await readText(text);
    const r = replaySync(read.events, { era: 'fnhe' });
    expect(r.divergences).toEqual([]);
    const inv = r.coverage.invariants.find((i) => i.name === 'check-fails-iff-stale')!;
    expect(inv.unchecked[REASON]).toBeGreaterThanOrEqual(1);
    expect(inv.checked).toBeGreaterThan(1000);
  });

  it('without the creation in flight, the same NULL is a divergence at its line', async () => {
    const lines = text.split('\n');
    const creation = lines.findIndex((l) => l.includes('update_or_create_fnhe:') && l.includes('5.012024'));
    expect(creation).toBeGreaterThan(0);
    const cut = [...lines.slice(0, creation), lines[creation]!.replace(/update_or_create_fnhe: .*/, 'unrelated_probe: (x+0x0/0x1) a=1'), ...lines.slice(creation + 1)].join('\n');
    const read = await readText(cut);
    const r = replaySync(read.events, { era: 'fnhe' });
    expect(r.divergences.map((d) => d.invariant)).toContain('check-fails-iff-stale');
  });
});
