/**
 * Which learning operations (the pmtu-redirect era's bumpers, and time) the C of a tree can run,
 * and which stage of that era's model it is compared with. A bumper the evaluator cannot run
 * (ip_rt_redirect walking the route cache with a loop in 3.2+, say) is left out of the
 * alphabet, and the report says so with the construct's file:line:column.
 */
import type { Operation, Stage } from '../model/types.ts';
import { PeerpropError } from '../core/errors.ts';
import { CRuntimeFault } from '../ceval/index.ts';
import { freshPair, stepBoth, LEARN_MTUS, EXPIRY_TICKS, REDIRECT, type LearningOp, type RunnerOptions } from './sequential.ts';

const A = '10.0.0.1';

/** The function each learning operation runs, and a short sequence that reaches its code. */
const PROBES: Record<LearningOp, { fn: string; ops: Operation[] }> = {
  frag_needed: { fn: 'ip_rt_frag_needed', ops: [{ op: 'route_new', rt: 0, daddr: A }, { op: 'pmtu', daddr: A, mtu: LEARN_MTUS[0] }, { op: 'check', rt: 0 }, { op: 'route_new', rt: 1, daddr: A }] },
  update_pmtu: { fn: 'ip_rt_update_pmtu', ops: [{ op: 'route_new', rt: 0, daddr: A }, { op: 'pmtu', daddr: A, mtu: LEARN_MTUS[1], rt: 0 }, { op: 'pmtu', daddr: A, mtu: LEARN_MTUS[0], rt: 0 }, { op: 'check', rt: 0 }] },
  redirect: { fn: 'ip_rt_redirect', ops: [{ op: 'route_new', rt: 0, daddr: A }, { op: 'redirect', daddr: A, ...REDIRECT }, { op: 'check', rt: 0 }, { op: 'route_new', rt: 1, daddr: A }] },
  tick: {
    fn: 'ip_rt_update_pmtu',
    ops: [{ op: 'route_new', rt: 0, daddr: A }, { op: 'pmtu', daddr: A, mtu: LEARN_MTUS[1], rt: 0 }, { op: 'bump' }, { op: 'tick', ticks: EXPIRY_TICKS }, { op: 'check', rt: 0 }, { op: 'pmtu', daddr: A, mtu: LEARN_MTUS[0], rt: 0 }],
  },
};

export interface LearningProbe {
  ops: Set<LearningOp>;
  /** Operations left out, and why (the construct the evaluator met, with its location). */
  excluded: { op: LearningOp; reason: string }[];
}

/**
 * Runs each learning operation's probe on both sides; an evaluator limit met on the way
 * excludes that operation (divergences do not: finding them is the strategies' job).
 */
export function probeLearning(o: RunnerOptions): LearningProbe {
  const out: LearningProbe = { ops: new Set(), excluded: [] };
  if (o.era !== 'pmtu-redirect') return out;
  for (const op of Object.keys(PROBES) as LearningOp[]) {
    const probe = PROBES[op];
    if (!o.program.hasFunction(probe.fn)) {
      out.excluded.push({ op, reason: `${probe.fn}() is not defined in ${o.program.file}` });
      continue;
    }
    try {
      let { model, c } = freshPair(o, 0);
      for (const x of probe.ops) model = stepBoth(model, c, x).model;
      out.ops.add(op);
    } catch (e) {
      if (e instanceof CRuntimeFault || !(e instanceof PeerpropError)) {
        out.ops.add(op); // a C oops is a finding for the strategies to report
        continue;
      }
      out.excluded.push({ op, reason: e.oneLine() });
    }
  }
  return out;
}

/** The stage of the 2.6.39-3.5 history a route.c is at (src/model/README.md, stages). */
export function detectStage(source: string | ((re: RegExp) => boolean)): Stage {
  // A tester (CProgram.matches) records what was asked, for caches keyed on what a result read.
  const has = typeof source === 'string' ? (re: RegExp) => re.test(source) : source;
  if (has(/\binetpeer_invalidate_tree\s*\(/)) return 'S5';
  if (has(/\bredirect_genid\b/)) return 'S4';
  if (has(/\bipv4_validate_peer\s*\(/)) return 'S5';
  if (has(/\brt_bind_peer\s*\(\s*struct\s+rtable\s*\*\s*\w+\s*,\s*__be32/)) return 'S3';
  return 'S2';
}
