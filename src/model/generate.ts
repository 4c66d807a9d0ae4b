/**
 * Conforming operation sequences, and their rendering as canonical event streams.
 *
 * - `materialize(era, raw)` turns arbitrary small integers into a sequence that never names an
 *   unknown or freed route (so fast-check can shrink freely);
 * - `opsArbitrary(era)` is the fast-check arbitrary over such sequences;
 * - `randomOps(era, seed, n)` is the same without fast-check (seeded, reproducible);
 * - `renderEvents(era, ops)` runs the model and yields the CanonicalEvents the kernel's probes would
 *   show for that run (what replay must accept as conformant);
 * - `generateEvents(era, {seed, count})` streams a long conforming trace in constant memory.
 */
import fc from 'fast-check';
import type { CanonicalEvent } from '../trace/events.ts';
import type { Effect, Era, ModelState, Operation, OpResult } from './types.ts';
import { type InitOptions, initialState, liveRoute, liveRoutes } from './state.ts';
import { applyInPlace } from './apply.ts';

export interface GenOptions {
  /** Route ids 0..routes-1 (a freed id is reused by a later route_new: pointer reuse). */
  routes?: number;
  /** Destinations. */
  daddrs?: readonly string[];
  /** Gateways redirects point to (the first is the default gateway, i.e. the legitimate sender). */
  gateways?: readonly string[];
  /** Also emit bumps of ~2^32 (to provoke the ABA wrap); off by default. */
  wrapJumps?: boolean;
}

const DEFAULT_DADDRS = ['10.1.0.5', '10.1.0.6', '10.2.0.7'];
const DEFAULT_GATEWAYS = ['10.0.0.1', '10.0.0.3', '10.0.0.4'];

/** One raw command: a kind index and three free integers, interpreted by materialize(). */
export type RawCommand = [kind: number, a: number, b: number, c: number];

const KINDS = ['route_new', 'check', 'check', 'check', 'bind', 'peer_new', 'bump', 'pmtu', 'pmtu_rt', 'redirect', 'flush', 'tick', 'route_free'] as const;
const MTUS = [1400, 1200, 1000, 576, 300, 1500, 0];

/** Interprets raw commands as a conforming sequence for the era (commands naming no live route are dropped). */
export function materialize(era: Era, raw: readonly RawCommand[], opts: GenOptions = {}): Operation[] {
  const nRoutes = Math.max(1, opts.routes ?? 3);
  const daddrs = opts.daddrs ?? DEFAULT_DADDRS;
  const gws = opts.gateways ?? DEFAULT_GATEWAYS;
  const live = new Map<number, string>(); // id -> daddr
  const out: Operation[] = [];
  const pickLive = (a: number): number | undefined => {
    const ids = [...live.keys()];
    return ids.length ? ids[a % ids.length] : undefined;
  };
  for (const [k, a, b, c] of raw) {
    const kind = KINDS[k % KINDS.length]!;
    switch (kind) {
      case 'route_new': {
        const id = a % nRoutes;
        if (live.has(id)) {
          out.push({ op: 'route_free', rt: id });
          live.delete(id);
        }
        const daddr = daddrs[b % daddrs.length]!;
        out.push({ op: 'route_new', rt: id, daddr });
        live.set(id, daddr);
        break;
      }
      case 'check':
      case 'bind':
      case 'route_free':
      case 'pmtu_rt': {
        const id = pickLive(a);
        if (id === undefined) break;
        if (kind === 'check') out.push({ op: 'check', rt: id });
        else if (kind === 'bind') out.push({ op: 'bind', rt: id, create: (b & 1) as 0 | 1 });
        else if (kind === 'pmtu_rt') out.push({ op: 'pmtu', rt: id, daddr: live.get(id)!, mtu: MTUS[b % MTUS.length]! });
        else {
          out.push({ op: 'route_free', rt: id });
          live.delete(id);
        }
        break;
      }
      case 'peer_new':
        out.push({ op: 'peer_new', daddr: daddrs[a % daddrs.length]! });
        break;
      case 'bump':
        // In pmtu-redirect the genid moves only in the PMTU/redirect paths: no bare bumps there.
        if (era === 'pmtu-redirect') break;
        // Mostly +1; now and then a jump that crosses the u32 wrap.
        out.push(opts.wrapJumps && c % 7 === 0 ? { op: 'bump', times: 0xffffffff - (b % 3) } : { op: 'bump' });
        break;
      case 'pmtu':
        out.push({ op: 'pmtu', daddr: daddrs[a % daddrs.length]!, mtu: MTUS[b % MTUS.length]! });
        break;
      case 'redirect':
        out.push({ op: 'redirect', daddr: daddrs[a % daddrs.length]!, gateway: gws[b % gws.length]!, from: gws[c % gws.length]! });
        break;
      case 'flush':
        out.push({ op: 'flush', proc: (a & 1) === 0 });
        break;
      case 'tick':
        out.push({ op: 'tick', ticks: [1, 100, 700][a % 3]! });
        break;
    }
  }
  return out;
}

/** fast-check arbitrary of conforming sequences (shrinks on the raw commands). */
export function opsArbitrary(era: Era, opts: GenOptions & { maxLength?: number } = {}): fc.Arbitrary<Operation[]> {
  const cmd = fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000)) as fc.Arbitrary<RawCommand>;
  const maxLength = opts.maxLength ?? 40;
  return fc.array(cmd, { minLength: Math.min(8, maxLength), maxLength, size: 'max' }).map((raw) => materialize(era, raw, opts));
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomRaw(rand: () => number, n: number): RawCommand[] {
  const out: RawCommand[] = [];
  const r = () => Math.floor(rand() * 1000);
  for (let i = 0; i < n; i++) out.push([r(), r(), r(), r()]);
  return out;
}

export function randomOps(era: Era, seed: number, n: number, opts: GenOptions = {}): Operation[] {
  return materialize(era, randomRaw(prng(seed), n), opts);
}

// ---------------------------------------------------------------------------------------------
// Rendering as canonical events

export interface RenderOptions {
  file?: string;
  /** Line number of the first event. */
  firstLine?: number;
  /** Namespace pointer for modern events. */
  net?: string;
}

/** RTCF_REDIRECTED in the route cache eras (include/linux/in_route.h). */
const RTCF_REDIRECTED = 0x40000;
const kptr = (low: number) => '0xffff8800' + (low >>> 0).toString(16).padStart(8, '0');
/** Kernel-looking pointers: route id -> a slab address (the same id gives the same pointer: reuse). */
export const routePointer = (id: number) => kptr(0x1f881000 + id * 0x100);
const peerPointers = new Map<string, string>();
function peerPointer(s: ModelState, key: string | null): string {
  if (key === null) return '0x0';
  const p = s.peers[key];
  const ident = p ? `${p.daddr}#${p.bornSeq ?? 0}` : key;
  let ptr = peerPointers.get(ident);
  if (!ptr) {
    ptr = kptr(0x1e400000 + (peerPointers.size % 0xfffff) * 0x40);
    peerPointers.set(ident, ptr);
    if (peerPointers.size > 100_000) peerPointers.clear();
  }
  return ptr;
}

const LOOKUP_CALLER: Record<string, string> = {
  route_new: 'rt_set_nexthop.constprop.0+0x5f',
  check: 'ipv4_dst_check+0x11d',
  frag_needed: 'ip_rt_frag_needed+0x2f',
  update_pmtu: 'ip_rt_update_pmtu+0x3c',
  redirect: 'ip_rt_redirect+0x1a1',
  peer_new: '__ip_select_ident+0xc3',
  bind: 'rt_bind_peer+0x21',
};

/**
 * Renders one operation (already applied: `before` and `after` states, its result) as the events
 * the probes of the real traces would produce. Pure with respect to the model.
 */
export function renderOp(before: ModelState, op: Operation, after: ModelState, res: OpResult, o: { file: string; line: number; net: string }): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  const ev = (e: Omit<CanonicalEvent, 'file' | 'line'>) => out.push({ ...e, file: o.file, line: o.line + out.length } as CanonicalEvent);
  const modern = after.era === 'fnhe';
  const fx: Effect[] = res.effects ?? [];
  const lookupEvents = (s: ModelState) => {
    for (const e of fx) {
      if (e.kind !== 'lookup') continue;
      ev({ kind: 'bind', daddr: e.daddr, create: e.create, probe: 'getpeer' });
      ev({ kind: 'bind_ret', daddr: e.daddr, create: e.create, peer: peerPointer(s, e.peer), caller: LOOKUP_CALLER[e.by], probe: 'getpeer_ret' });
    }
  };
  /** check_peer_pmtu entries (the 3.0 probe check_pmtu): the peer's state as it was read there. */
  const peerPmtuEvents = () => {
    for (const e of fx) {
      if (e.kind !== 'peer_pmtu') continue;
      ev({
        kind: 'peer_pmtu', rt: routePointer(e.rt), peer: peerPointer(after, e.peer), pmtuLearned: e.learned, pmtuOrig: e.orig, pmtuExpires: e.expires,
        redirectLearned: e.redirect || '0.0.0.0', now: e.now, probe: 'check_pmtu',
      });
    }
  };
  const bumpEvents = () => {
    for (const e of fx) if (e.kind === 'bump') ev({ kind: 'genid_bump', old: e.old, new: e.new, counter: 'peer' });
  };
  switch (op.op) {
    case 'route_new': {
      const r = liveRoute(after, op.rt)!;
      if (modern) {
        // The lookup's find_exception return, then the allocation (fields as rt_dst_alloc returns them, before the fill).
        const found = before.exceptions[op.daddr];
        if (r.cachedIn === 'exception' && found) {
          ev({ kind: 'fnhe', daddr: op.daddr, exceptionGenid: found.genid, mtu: found.pmtu, gateway: found.gateway || '0.0.0.0', net: o.net, probe: 'find_exception_ret' });
        }
        ev({ kind: 'route', rt: routePointer(r.id), daddr: r.daddr, rtGenid: r.rtGenid, genid: after.netGenid, obsolete: -1, net: o.net, probe: 'rt_dst_alloc_ret' });
        break;
      }
      lookupEvents(after);
      ev({ kind: 'route', rt: routePointer(r.id), daddr: r.daddr, peer: peerPointer(after, r.peer), rtGenid: r.peerGenid, genid: after.genid, probe: 'route' });
      peerPmtuEvents();
      break;
    }
    case 'check': {
      const b = liveRoute(before, op.rt)!;
      const a = liveRoute(after, op.rt)!;
      const ptr = routePointer(b.id);
      if (modern) {
        ev({ kind: 'check', rt: ptr, rtGenid: b.rtGenid, genid: before.netGenid, obsolete: b.obsolete, rtMtu: b.rtPmtu ?? 0, rtGateway: b.gateway, probe: 'dst_check' });
        ev({ kind: 'check_ret', ret: res.valid ? ptr : '0x0', probe: 'dst_check_ret' });
        break;
      }
      ev({
        kind: 'check', rt: ptr, daddr: b.daddr, peer: peerPointer(before, b.peer), rtGenid: b.peerGenid, genid: before.genid, rtGateway: b.gateway, obsolete: b.expired ? 2 : -1,
        rtMtu: b.mtu, flags: b.redirected ? RTCF_REDIRECTED : 0, probe: 'dst_check',
      });
      lookupEvents(after);
      peerPmtuEvents();
      if (res.valid) {
        ev({
          kind: 'check_ret', ret: ptr, peer: peerPointer(after, a.peer), rtGenid: a.peerGenid, genid: after.genid, rtGateway: a.gateway, rtMtu: a.mtu,
          flags: a.redirected ? RTCF_REDIRECTED : 0, probe: 'dst_check_ret',
        });
      }
      else ev({ kind: 'check_ret', ret: '0x0', probe: 'dst_check_ret' });
      break;
    }
    case 'bind': {
      const b = liveRoute(before, op.rt)!;
      const a = liveRoute(after, op.rt)!;
      if (modern) {
        lookupEvents(after);
        break;
      }
      ev({ kind: 'bind', rt: routePointer(b.id), daddr: b.daddr, create: op.create, peer: peerPointer(before, b.peer), rtGenid: b.peerGenid, genid: before.genid, probe: 'bind' });
      lookupEvents(after);
      ev({ kind: 'bind_ret', rt: routePointer(a.id), peer: peerPointer(after, a.peer), rtGenid: a.peerGenid, genid: after.genid, caller: 'icmp_send+0x5e3', probe: 'bind_ret' });
      break;
    }
    case 'peer_new':
      lookupEvents(after);
      break;
    case 'bump':
      if (!modern && after.era !== 'pre-genid') bumpEvents();
      break;
    case 'pmtu': {
      const r = op.rt !== undefined ? liveRoute(before, op.rt) : undefined;
      if (modern) {
        ev({ kind: 'pmtu', daddr: op.daddr, mtu: op.mtu, rt: r ? routePointer(r.id) : undefined, net: o.net, probe: '__ip_rt_update_pmtu' });
        for (const e of fx) if (e.kind === 'exception') ev({ kind: 'fnhe', daddr: e.daddr, mtu: e.pmtu, gateway: e.gateway || '0.0.0.0', fnheGenid: after.fnheGenid, net: o.net, probe: 'update_or_create_fnhe' });
        break;
      }
      // ip_rt_frag_needed returns what it learned (est_mtu), else the announced MTU; the quoted
      // packet is not modelled: a length above any MTU keeps the kernel's plateau rule out of play.
      const learned = fx.find((e) => e.kind === 'learn_pmtu');
      const minPmtu = after.config?.minPmtu;
      if (r) ev({ kind: 'pmtu', daddr: op.daddr, mtu: op.mtu, minPmtu, rt: routePointer(r.id), peer: peerPointer(before, r.peer), rtGenid: r.peerGenid, genid: before.genid, now: before.now, probe: 'update_pmtu' });
      else ev({ kind: 'pmtu', daddr: op.daddr, mtu: learned?.kind === 'learn_pmtu' ? learned.mtu : op.mtu, icmpMtu: op.mtu, oldMtu: 65535, minPmtu, genid: before.genid, now: before.now, probe: 'frag_needed' });
      lookupEvents(after);
      peerPmtuEvents();
      bumpEvents();
      break;
    }
    case 'redirect': {
      if (modern) {
        ev({ kind: 'redirect', daddr: op.daddr, gateway: op.gateway, oldGateway: op.from, net: o.net, probe: '__ip_do_redirect' });
        for (const e of fx) if (e.kind === 'exception') ev({ kind: 'fnhe', daddr: e.daddr, mtu: e.pmtu, gateway: e.gateway || '0.0.0.0', fnheGenid: after.fnheGenid, net: o.net, probe: 'update_or_create_fnhe' });
        break;
      }
      ev({ kind: 'redirect', daddr: op.daddr, gateway: op.gateway, oldGateway: op.from, genid: before.genid, probe: 'redirect' });
      lookupEvents(after);
      bumpEvents();
      break;
    }
    case 'flush':
      if (modern) ev({ kind: 'flush', genid: before.netGenid, fnheGenid: before.fnheGenid, net: o.net, probe: op.proc ?? true ? 'sysctl_flush' : 'rt_cache_flush' });
      else ev({ kind: 'flush', genid: before.genid, probe: 'cache_flush' });
      break;
    case 'tick':
      break;
    case 'route_free': {
      const b = liveRoute(before, op.rt)!;
      ev({ kind: 'route_free', rt: routePointer(b.id), peer: modern ? undefined : peerPointer(before, b.peer), daddr: b.daddr, probe: 'dst_destroy' });
      break;
    }
  }
  return out;
}

/** Runs `ops` through the model from `init` and yields the events, with consecutive line numbers. */
export function* renderEvents(era: Era, ops: Iterable<Operation>, opts: RenderOptions & { init?: InitOptions } = {}): Generator<CanonicalEvent> {
  const s = initialState(era, opts.init);
  const o = { file: opts.file ?? 'generated', line: opts.firstLine ?? 1, net: opts.net ?? '0xffffffff81c099c0' };
  for (const op of ops) {
    const before = snapshot(s, op);
    const res = applyInPlace(s, op);
    const evs = renderOp(before, op, s, res, o);
    o.line += evs.length;
    yield* evs;
  }
}

/**
 * What renderOp needs from the state before the op: the genids, the named route and the peers
 * (cheap: not a full clone, so long generated traces stay fast).
 */
function snapshot(s: ModelState, op: Operation): ModelState {
  const r = 'rt' in op && op.rt !== undefined ? liveRoute(s, op.rt) : undefined;
  const peers: ModelState['peers'] = {};
  if (r?.peer) peers[r.peer] = { ...s.peers[r.peer]! };
  const exceptions: ModelState['exceptions'] = {};
  if (op.op === 'route_new' && s.exceptions[op.daddr]) exceptions[op.daddr] = { ...s.exceptions[op.daddr]! };
  return { ...s, routes: r ? [{ ...r }] : [], peers, exceptions };
}


/**
 * A long conforming event stream for benchmarks: random operations over a few routes and
 * destinations, with routes freed and re-created so that memory stays bounded.
 */
export function* generateEvents(era: Era, opts: { seed?: number; count: number; file?: string; init?: InitOptions } & GenOptions): Generator<CanonicalEvent> {
  const rand = prng(opts.seed ?? 1);
  const s = initialState(era, opts.init);
  const o = { file: opts.file ?? 'generated', line: 1, net: '0xffffffff81c099c0' };
  let emitted = 0;
  const nRoutes = opts.routes ?? 8;
  while (emitted < opts.count) {
    for (const op of materialize(era, randomRaw(rand, 64), { ...opts, routes: nRoutes })) {
      // materialize() does not know the model's live set after a previous batch: skip stale names.
      if ('rt' in op && op.rt !== undefined && op.op !== 'route_new' && !liveRoute(s, op.rt)) continue;
      const before = snapshot(s, op);
      const res = applyInPlace(s, op);
      const evs = renderOp(before, op, s, res, o);
      o.line += evs.length;
      for (const e of evs) {
        if (emitted >= opts.count) return;
        emitted++;
        yield e;
      }
    }
    // Bounded state: forget freed routes.
    if (s.routes.length > nRoutes * 2) s.routes = liveRoutes(s);
  }
}
