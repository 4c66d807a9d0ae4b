/**
 * Property: model-generated events, rendered as the kernel's ftrace text (Linux 3.0 probes,
 * render.ts) on 1-4 CPUs, then re-laid out as each other printer prints them
 * (printer-emulation.ts: trace_pipe, trace-cmd report default / -t / -l / --ts-diff / -R,
 * perf script default / -F / --reltime / --deltatime), read back as the same canonical events:
 * the same fields (s16 read as declared, callers resolved through the symbols), the same counts.
 * Without symbols, a line whose meaning depends on its caller is refused, never guessed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateEvents } from '../../src/model/generate.ts';
import { SeedTextRenderer, SEED_TEXT_HEADER } from '../../src/trace/render.ts';
import { Symbols } from '../../src/trace/symbols.ts';
import type { CanonicalEvent } from '../../src/trace/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { readText } from './helpers.ts';
import { emulate, EMULATED, FakeKallsyms } from './printer-emulation.ts';

/** The kernel's text of `count` model events, each line on a CPU drawn from `cpus`. */
function kernelText(seed: number, count: number, cpuOf: (i: number) => number): string {
  const r = new SeedTextRenderer();
  const body = [...generateEvents('pmtu-redirect', { seed, count })].map((e) => r.render(e)).join('');
  let i = 0;
  return SEED_TEXT_HEADER + body.replace(/ \[000\] /g, () => ` [${String(cpuOf(i++)).padStart(3, '0')}] `);
}

function canonical(e: CanonicalEvent): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined && k !== 'file' && k !== 'line' && k !== 'ts' && k !== 'probe') o[k] = v;
  return JSON.stringify(o);
}

describe('every printer layout of model events reads back as the same canonical events', () => {
  it('random workloads, CPUs and printers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 20, max: 400 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 64 }),
        fc.constantFrom(...EMULATED),
        async (seed, count, cpus, printer) => {
          const kernel = kernelText(seed, count, (i) => cpus[i % cpus.length]!);
          const syms = new FakeKallsyms();
          const text = emulate(kernel, printer, syms);
          const symText = syms.text().trim();
          const symbols = symText ? Symbols.parse(symText, 'fake-kallsyms') : undefined; // trace_pipe prints symbols itself
          const ref = await readText(kernel);
          const got = await readText(text, { symbols });
          const noMarkers = (l: CanonicalEvent[]) => l.filter((e) => e.kind !== 'marker').map(canonical);
          expect(got.stats.probeMap.name).toBe(ref.stats.probeMap.name);
          expect(noMarkers(got.events)).toEqual(noMarkers(ref.events));
          const { marker: _a, ...refKinds } = ref.stats.eventsByKind;
          const { marker: _b, ...gotKinds } = got.stats.eventsByKind;
          expect(gotKinds).toEqual(refKinds);
          expect(got.stats.skipped.malformed.count).toBe(0);
          expect(got.stats.unmatched).toEqual(ref.stats.unmatched);
          // The obsolete field printed as 65535 comes back as the s16 it was declared.
          expect(got.events.every((e) => e.obsolete === undefined || e.obsolete < 65535)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('without symbols, a return whose meaning depends on its caller is refused (exit 2 naming the line), never guessed', async () => {
    const kernel = kernelText(11, 400, (i) => i % 2);
    const text = emulate(kernel, 'tc', new FakeKallsyms());
    const err = await readText(text).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(2);
    expect((err as PeerpropError).oneLine()).toMatch(/^test\.trace:\d+: the caller of this getpeer_ret return is printed as an address .*--symbols/);
  });

  it('symbols that do not match (another boot) are refused the same way, with a warning', async () => {
    const kernel = kernelText(12, 300, () => 0);
    const text = emulate(kernel, 'perf', new FakeKallsyms());
    const other = new FakeKallsyms();
    for (const s of ['a', 'b', 'c', 'inet_getpeer', 'ip_rt_frag_needed']) other.of(s);
    const err = await readText(text, { symbols: Symbols.parse(other.text(), 'other.map') }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
  });
});
