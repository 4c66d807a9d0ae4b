/**
 * Speed of the differential check: operation sequences per second through the model alone and
 * through the C evaluator alone (same sequences, same run), their ratio (target: the evaluator
 * within 20x of the model), and the wall time of the default `verify` of the seed patch
 * including the exhaustive scope (target: under 30 s on one core).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import type { Operation } from '../src/model/types.ts';
import { initialState } from '../src/model/state.ts';
import { apply } from '../src/model/apply.ts';
import { loadProgram } from '../src/ceval/index.ts';
import { CSystem, runOp } from '../src/verify/csystem.ts';
import { applicable, operationArb, DEFAULT_DADDRS } from '../src/verify/sequential.ts';
import { observeModel } from '../src/verify/observe.ts';
import { verify, verifySource } from '../src/verify/index.ts';

const repoRoot = resolve(import.meta.dirname, '..');

function sequences(n: number): Operation[][] {
  const arb = fc.array(operationArb({ routes: 3, daddrs: DEFAULT_DADDRS }), { minLength: 20, maxLength: 20 });
  const raw = fc.sample(arb, { numRuns: n, seed: 1 });
  // Keep only applicable operations (decided on the model), so both sides run the same steps.
  return raw.map((ops) => {
    let s = initialState('seed');
    const out: Operation[] = [];
    for (const op of ops) {
      if (!applicable(s, op)) continue;
      s = apply(s, op).state;
      out.push(op);
    }
    return out;
  });
}

function rate(label: string, seqs: Operation[][], runOne: (ops: Operation[]) => void, minMs = 1500): number {
  // Warm up the JIT, then run for at least minMs.
  for (const s of seqs.slice(0, 50)) runOne(s);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (const s of seqs) runOne(s);
    n += seqs.length;
    t = performance.now();
  }
  const perSec = (n / (t - t0)) * 1000;
  const steps = seqs.reduce((a, s) => a + s.length, 0) / seqs.length;
  console.log(`${label.padEnd(34)} ${perSec.toFixed(0).padStart(8)} sequences/s  (${(perSec * steps).toFixed(0)} steps/s, ${steps.toFixed(1)} steps per sequence)`);
  return perSec;
}

export async function run(): Promise<void> {
  const source = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/seed/net/ipv4/route.c'), 'utf8');
  const program = loadProgram(source, 'net/ipv4/route.c');
  program.prepare(['rt_bind_peer', 'ipv4_dst_check']);
  const seqs = sequences(500);

  const model = rate('model (apply + observe)', seqs, (ops) => {
    let s = initialState('seed');
    for (const op of ops) {
      const r = apply(s, op);
      s = r.state;
      observeModel(s, r.result);
    }
  });
  const c = rate('C evaluator (run + observe)', seqs, (ops) => {
    const sys = new CSystem(program, 'seed', 0);
    for (const op of ops) sys.observe(runOp(sys, op).valid);
  });
  console.log(`ratio model / C evaluator: ${(model / c).toFixed(1)}x (target: within 20x)`);

  const t0 = performance.now();
  const report = await verify({
    patch: resolve(repoRoot, 'kernel-fixtures/route-genid.patch'),
    tree: resolve(repoRoot, 'kernel-fixtures/trees/pre-seed'),
  });
  const total = (performance.now() - t0) / 1000;
  for (const s of report.strategies) console.log(`  verify ${s.strategy.padEnd(13)} ${String(s.checked).padStart(7)} checked  ${(s.ms / 1000).toFixed(2)} s`);
  console.log(`default verify of the seed patch (depth ${report.depth}, ${report.runs} random runs): ${total.toFixed(1)} s, ${report.ok ? 'pass' : 'DIVERGENCE'} (target: < 30 s)`);

  // The 2.6.39-3.5 era adds the bumpers (frag_needed, update_pmtu) and time to the alphabet.
  const pmtu = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/pmtu-redirect/net/ipv4/route.c'), 'utf8');
  const t1 = performance.now();
  const r2 = verifySource(pmtu, 'net/ipv4/route.c');
  const total2 = (performance.now() - t1) / 1000;
  console.log(`default verify of the pmtu-redirect fixture tree (bumpers included): ${total2.toFixed(1)} s, ${r2.ok ? 'pass' : 'DIVERGENCE'} (${r2.strategies.map((x) => `${x.strategy} ${x.checked}`).join(', ')})`);
}
