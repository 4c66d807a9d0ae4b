/**
 * Lost events in the real traces (traces/, copies of ../shared/traces): runs of one CPU's events
 * removed at positions spread over each trace, with the `CPU:N [LOST K EVENTS]` line ftrace would
 * print, and the trace cut as a capture started late. A correct kernel's trace stays not
 * DIVERGENT; a fault injected well away from the loss is still caught at its line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../../src/replay/index.ts';
import { cpuOf, cutPrefix, dropEvents } from '../helpers/lost-events.ts';
import { applicableFaults, injectFault } from '../helpers/inject.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const traces = resolve(repoRoot, 'traces');
const expected = JSON.parse(readFileSync(resolve(traces, 'expected.json'), 'utf8')).traces as Record<string, { verdict: string }>;
/** The ftrace text traces (the serial console captures carry the same lines among others). */
const TEXT = Object.keys(expected).filter((n) => /\.(ftrace|trace|ttyS1-trace)\.txt$/.test(n));
const stageOf = (name: string) => (name.startsWith('linux-3.0.1') ? { stage: 'S3' as const } : {});
const dir = mkdtempSync(join(tmpdir(), 'peerprop-real-lost-'));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe.each(TEXT)('real trace %s with lost events', (name) => {
  const text = readFileSync(resolve(traces, name), 'latin1');
  const events = text.split('\n').filter((l) => /\s\[\d{3}\]\s/.test(l)).length;

  it('one CPU losing runs of events anywhere: never divergent, the gap counted', async () => {
    let gaps = 0;
    for (let k = 0; k < 8; k++) {
      const cut = dropEvents(text, { cpu: k, from: Math.floor((events * (2 * k + 1)) / 17), count: 1 + ((k * 5) % 12) })!;
      const r = await replayFile(write(`${name}.lost${k}`, cut.text), stageOf(name));
      expect(r.verdict, `loss ${k}: ${r.divergences[0]?.line} ${r.divergences[0]?.message}`).not.toBe('divergent');
      gaps += r.coverage.gaps;
    }
    expect(gaps).toBe(8);
  });

  it('a capture started late: never divergent', async () => {
    for (let k = 1; k <= 4; k++) {
      const r = await replayFile(write(`${name}.late${k}`, cutPrefix(text, Math.floor((events * k) / 5))), stageOf(name));
      expect(r.verdict, `cut ${k}: ${r.divergences[0]?.line} ${r.divergences[0]?.message}`).not.toBe('divergent');
    }
  });

  it('a fault far from the loss is still caught at its line', async () => {
    const fault = applicableFaults(text)[0];
    expect(fault).toBeDefined();
    const f = await injectFault(resolve(traces, name), fault!);
    const faulty = readFileSync(f.path, 'latin1');
    const lines = faulty.split('\n');
    // The loss: five of the busiest CPU's events, as far from the fault as that CPU has them
    // (60 lines at least), away from anything the fault's judgement stands on.
    // (dropEvents names CPUs by their rank among those the trace shows.)
    const cpus = [...new Set(lines.map(cpuOf).filter((c): c is number => c !== undefined))].sort((a, b) => a - b);
    const count = (c: number) => lines.filter((l) => cpuOf(l) === c).length;
    const busiest = cpus.reduce((a, b) => (count(b) > count(a) ? b : a));
    const mine = lines.flatMap((l, i) => (cpuOf(l) === busiest ? [i + 1] : []));
    const last = Math.max(0, mine.length - 5);
    const from = Math.abs(mine[last]! - f.line) >= Math.abs(mine[0]! - f.line) ? last : 0;
    const loss = mine.slice(from, from + 5);
    expect(Math.min(...loss.map((l) => Math.abs(l - f.line)))).toBeGreaterThanOrEqual(60);
    const cut = dropEvents(faulty, { cpu: cpus.indexOf(busiest), from, count: 5 })!;
    // Lines removed before the fault (and the LOST line added) move it.
    const shift = loss[0]! < f.line ? cut.text.split('\n').length - lines.length : 0;
    const r = await replayFile(write(`${name}.fault`, cut.text), stageOf(name));
    expect(r.coverage.gaps).toBe(1);
    expect(r.verdict).toBe('divergent');
    expect(r.divergences.map((d) => d.line)).toContain(f.line + shift);
  });
});
