/**
 * A verify run as KCIDB tests on the checkout "tree + patch": `peerprop.verify` (PASS only when
 * every strategy agreed with the model) and one `peerprop.verify.<strategy>` per strategy.
 */
import type { KcidbCheckoutIn, KcidbTestIn } from '../report/kcidb.ts';
import { sourceCheckout } from '../report/kcidb-source.ts';
import { renderDivergence } from './render.ts';
import type { VerifyReport } from './index.ts';

export function verifyTests(r: VerifyReport, startTime?: string): KcidbTestIn[] {
  const when = startTime ? { startTime } : {};
  const divergence = r.divergence ? renderDivergence(r.divergence) : [];
  const notes = [
    ...r.excludedOperations.map((x) => `operation ${x.op} not checked: ${x.reason}`),
    ...r.notEvaluated.map((n) => `not evaluated (no operation reached it): ${n.file}:${n.line ?? '?'}:${n.column ?? '?'}: ${n.message}`),
  ];
  const whole: KcidbTestIn = {
    ...when,
    path: ['verify'],
    status: r.ok ? 'PASS' : 'FAIL',
    comment: `${r.file}, era ${r.era}${r.stage ? ` ${r.stage}` : ''}: ${r.ok ? 'the C agrees with the model in every sequence and schedule checked' : 'divergence from the model'}`,
    durationS: r.strategies.reduce((t, s) => t + s.ms, 0) / 1000,
    log: [...divergence, ...notes],
    misc: { era: r.era, era_reason: r.eraReason, seed: r.seed, runs: r.runs, depth: r.depth, functions: r.functions.map((f) => f.name) },
  };
  const perStrategy: KcidbTestIn[] = r.strategies.map((s) => {
    const mine = r.divergences.find((d) => d.strategy === s.strategy);
    return {
      ...when,
      path: ['verify', s.strategy],
      status: s.ok ? 'PASS' : 'FAIL',
      comment: s.scope,
      durationS: s.ms / 1000,
      log: mine ? renderDivergence(mine) : [`${s.checked} checked, ${s.steps} steps`],
      misc: { checked: s.checked, steps: s.steps, ...(s.counterexampleLength !== undefined ? { counterexample_length: s.counterexampleLength } : {}) },
    };
  });
  return [whole, ...perStrategy];
}

/** `verify --format kcidb`: the checkout (tree + patch) with the verify tests. */
export function verifyToKcidb(r: VerifyReport, tree?: string, startTime?: string): KcidbCheckoutIn {
  return sourceCheckout({ ...(tree ? { tree } : {}), ...(r.patch ? { patches: [r.patch] } : {}), valid: true, tests: verifyTests(r, startTime) });
}
