/** fast-check arbitrary of fnhe-era multi-CPU scenarios (run by `runSmpFnhe` in smp-fnhe.ts). */
import fc from 'fast-check';
import type { FnheCall, FnheScenario } from './smp-fnhe.ts';

/**
 * fast-check arbitrary of scenarios: 2-4 CPUs, 2-4 tasks, 1-2 destinations, calls mixed (checks
 * and lookups dominate, PMTU updates, flushes), a random schedule and CPU placement. Task 0 first
 * looks every destination up alone.
 */
export function smpFnheArbitrary(opts: { maxCalls?: number; flush?: boolean } = {}): fc.Arbitrary<FnheScenario> {
  const maxCalls = opts.maxCalls ?? 6;
  return fc
    .record({
      cpus: fc.integer({ min: 2, max: 4 }),
      nTasks: fc.integer({ min: 2, max: 4 }),
      dests: fc.integer({ min: 1, max: 2 }),
      raw: fc.array(fc.array(fc.tuple(fc.nat(9), fc.nat(5)), { minLength: 1, maxLength: maxCalls }), { minLength: 4, maxLength: 4 }),
      schedule: fc.array(fc.nat(11), { minLength: 1, maxLength: 80 }),
      cpuOf: fc.option(fc.array(fc.nat(3), { minLength: 1, maxLength: 40 }), { nil: undefined }),
      genid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.constant(0x7fffffff)),
      fnheGenid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 })),
    })
    .map(({ cpus, nTasks, dests, raw, schedule, cpuOf, genid, fnheGenid }) => {
      const tasks: FnheCall[][] = raw.slice(0, nTasks).map((calls) =>
        calls.map(([k, a]): FnheCall => {
          const d = a % dests;
          if (k <= 3) return { kind: 'check', d };
          if (k <= 5) return { kind: 'lookup', d };
          if (k <= 7 || !(opts.flush ?? true)) return { kind: 'pmtu', d, mtu: [1400, 1300, 1200][a % 3]!, softirq: k === 7 };
          return { kind: 'flush', proc: a % 2 === 0 };
        }),
      );
      const warm: FnheCall[] = Array.from({ length: dests }, (_, d) => ({ kind: 'lookup' as const, d }));
      tasks[0] = [...warm, ...tasks[0]!];
      return { cpus, tasks, schedule: [...Array<number>(dests * 8).fill(0), ...schedule], cpuOf, genid, fnheGenid };
    });
}
