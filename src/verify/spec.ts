/**
 * The model's operations split at the kernel's own atomic actions, for judging concurrent
 * runs. The sequential model (src/model) says what one operation does; this says which
 * final states two operations running at once may leave. It is the model made loose exactly
 * where the kernel is racy (the races the kernel really has):
 *  - every read of the global genid, of rt->rt_peer_genid and of rt->peer is its own step,
 *    and the stamp is a read of G followed by a separate store, so a bump between the
 *    comparison, the lookup and the stamp is absorbed (the lost-update window, 3.2);
 *  - the peer lookup-or-create is one step (done under the inetpeer lock);
 *  - the cmpxchg on rt->peer is one step: the loser puts its reference and does not stamp (3.3);
 *  - bumps are atomic increments; reference counts are atomic.
 * Run without interleaving, every operation does exactly what the sequential model does
 * (test/verify/spec.test.ts checks that against src/model on random sequences).
 */
import type { Era, ModelState, Operation, RouteState } from '../model/types.ts';
import { isExpired, requireRoute } from '../model/state.ts';
import { type Ctx, bump, freeRoute, lookup, newRoute, put } from '../model/primitives.ts';
import { applyInPlace } from '../model/apply.ts';

/** A spec operation: yields before each atomic action; returns the check result where there is one. */
export type SpecGen = Generator<string, { valid?: boolean }, void>;

function* bindSteps(c: Ctx, r: RouteState, create: 0 | 1, withStamp: boolean): Generator<string, void, void> {
  yield 'lookup';
  const key = lookup(c, r.daddr, create, 'bind', r.id);
  yield 'cmpxchg rt->peer';
  if (key !== null && r.peer !== null) {
    yield 'putpeer';
    put(c, key);
    return;
  }
  if (key !== null) r.peer = key;
  if (withStamp) yield* stampSteps(c, r);
}

function* stampSteps(c: Ctx, r: RouteState): Generator<string, void, void> {
  yield 'read G';
  const v = c.s.genid;
  yield 'write rt_peer_genid';
  r.peerGenid = v;
}

export function* specOp(c: Ctx, op: Operation): SpecGen {
  const s = c.s;
  const era: Era = s.era;
  const stamps = era !== 'pre-genid';
  switch (op.op) {
    case 'route_new': {
      const r = newRoute(c, op.rt, op.daddr, op.nexthop);
      if (era === 'pmtu-redirect') {
        // rt_init_metrics (3c0afdca): lookup only; stamp only when a peer was found.
        yield 'lookup';
        const key = lookup(c, r.daddr, 0, 'route_new', r.id);
        if (key !== null) {
          r.peer = key;
          yield* stampSteps(c, r);
        }
      } else yield* bindSteps(c, r, 0, stamps);
      return {};
    }
    case 'bind':
      yield* bindSteps(c, requireRoute(s, op.rt, 'bind'), op.create, stamps);
      return {};
    case 'check': {
      const r = requireRoute(s, op.rt, 'check');
      yield 'read rt_genid';
      if (isExpired(s, r)) return { valid: false };
      if (!stamps) return { valid: true };
      yield 'read rt_peer_genid';
      const mine = r.peerGenid;
      yield 'read G';
      if (mine !== s.genid) {
        yield 'read rt->peer';
        if (r.peer === null) yield* bindSteps(c, r, 0, true);
        yield* stampSteps(c, r);
      }
      return { valid: true };
    }
    case 'peer_new': {
      yield 'lookup';
      const key = lookup(c, op.daddr, 1, 'peer_new');
      yield 'putpeer';
      put(c, key);
      return {};
    }
    case 'bump':
      for (let i = 0; i < (op.times ?? 1); i++) {
        yield 'atomic_inc G';
        if (stamps) bump(c);
      }
      return {};
    case 'flush':
      // One step, exactly the model's flush (3.2 forgets redirects, 3.3-3.5 swap the peer tree out).
      yield 'rt_genid++';
      applyInPlace(s, op);
      return {};
    case 'route_free': {
      const r = requireRoute(s, op.rt, 'route_free');
      yield 'putpeer';
      freeRoute(c, r);
      return {};
    }
    default:
      throw new Error(`spec: operation ${op.op} is not part of the concurrent specification`);
  }
}

/** Runs a spec operation to its end (no other CPU). */
export function specApplyInPlace(s: ModelState, op: Operation): { valid?: boolean } {
  const g = specOp({ s, fx: [] }, op);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}
