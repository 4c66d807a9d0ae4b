import { describe, it, expect, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readTrace, parseProbeMap, builtinProbeMap, type CanonicalEvent, type ProbeMap } from '../../src/trace/index.ts';
import { generateProbes } from '../../src/probes/index.ts';
import { realKernel } from '../kernel/real-kernels.ts';
import { CAPTURE_6_1 } from './capture.ts';

const withoutProbe = (events: CanonicalEvent[], probes: string[]) => events.filter((e) => !probes.includes(e.probe ?? ''));

describe('the generated probe map reads real 6.1 traces like the hand-written one', () => {
  let gen: ProbeMap;
  beforeAll(async () => {
    const set = await generateProbes(await realKernel('debian'));
    gen = parseProbeMap(set.probeMap, 'generated');
  });

  it('the 6.1 capture: the same canonical events, except the duplicate return probe the capture had', async () => {
    const a = await readTrace(CAPTURE_6_1, { probeMap: gen });
    const b = await readTrace(CAPTURE_6_1, { probeMap: builtinProbeMap('debian-6.1-rtg')! });
    // The capture put two return probes on ipv4_dst_check; its dst_check_ret all print
    // [unknown/kretprobe'd] and the generated map (one return probe per function) drops them.
    const aa = withoutProbe(a.events, ['dst_check_kret', 'dst_check_ret']);
    const bb = withoutProbe(b.events, ['dst_check_kret', 'dst_check_ret']);
    expect(aa.length).toBeGreaterThan(100);
    expect(aa).toEqual(bb);
    expect(a.stats.eventsByKind.route).toBeGreaterThan(0);
    expect(a.stats.eventsByKind.fnhe).toBeGreaterThan(0);
    expect(a.stats.eventsByKind.flush).toBeGreaterThan(0);
    expect(Object.keys(a.stats.unknownEvents).sort()).toEqual(['dst_check_kret', 'dst_release', 'fnhe_argn']);
  });

  it('with one return probe (as generated), dst_check_ret gives the check verdicts', async () => {
    const text = (await readFile(CAPTURE_6_1, 'utf8'))
      .split('\n')
      .filter((l) => !l.includes("dst_check_ret: ([unknown/kretprobe'd]"))
      .map((l) => l.replace(' dst_check_kret: ', ' dst_check_ret: '))
      .join('\n');
    const a = await readTrace('single-return.txt', { probeMap: gen, input: Readable.from([text]) });
    const b = await readTrace(CAPTURE_6_1, { probeMap: builtinProbeMap('debian-6.1-rtg')! });
    expect(a.stats.eventsByKind.check_ret).toBe(b.stats.eventsByKind.check_ret);
    expect(a.stats.eventsByKind.check_ret).toBeGreaterThan(10);
    const ret = a.events.find((e) => e.kind === 'check_ret')!;
    expect(ret.rt).toMatch(/^0x[0-9a-f]+$/);
    expect(ret.rtGenid).toBeTypeOf('number');
  });
});
