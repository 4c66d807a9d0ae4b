/**
 * The C side of the differential check: the model's operations carried out by running the
 * real functions of a post-image (rt_bind_peer, ipv4_dst_check, rt_peer_genid, ...) on the
 * evaluator's memory. Each operation is a generator that yields at shared-memory accesses,
 * so that two of them can be interleaved as two CPUs.
 */
import { type CProgram, type Machine, CStruct, CONSTANTS, addrToNumber, effectiveMtu, type Access, type Gen, type Value, type Site } from '../ceval/index.ts';
import type { Era, Operation } from '../model/types.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';
import { normalise, scalarType } from '../ceval/values.ts';

/** MTU of the device every route goes through (the model's default deviceMtu). */
export const DEVICE_MTU = 1500;
/** Gateway of new routes (the model's default config.gateway). */
export const DEFAULT_GATEWAY = '10.0.0.1';

/** The global generation ID's name in every kernel that has one. */
export const GENID_GLOBAL = '__rt_peer_genid';

/** What the differential check compares, for the model and the C alike. */
export interface Observation {
  /** Global peer genid (u32); absent in eras without one. */
  genid?: number;
  routes: { id: number; peer: string | null; peerGenid: number }[];
  /** Peers that exist, with their reference counts. */
  peers: Record<string, number>;
  /** Result of the last operation: check's dst/NULL. */
  valid?: boolean;
  /** The C oopsed (NULL dereference, ...): where and why. */
  fault?: string;
  /** pmtu-redirect era: each route's MTU metric, by route id. */
  mtu?: Record<number, number>;
  /** pmtu-redirect era: each route's gateway, with " (redirected)" when RTCF_REDIRECTED is set. */
  gateway?: Record<number, string>;
  /** pmtu-redirect era: each peer's learned PMTU state "learned/expires/orig". */
  pmtu?: Record<string, string>;
}

/** Which functions of the file an era's operations run. */
export interface EraFunctions {
  bind: string;
  check: string;
  /** Extra parameter rt_bind_peer takes in 3.0+ (daddr before create). */
  bindTakesDaddr: boolean;
  destroy?: string;
}

export class CSystem {
  m: Machine;
  readonly genidKind: 'atomic' | 'plain' | 'none';
  readonly fns: EraFunctions;

  constructor(
    readonly program: CProgram,
    readonly era: Era,
    initialGenid: number,
  ) {
    const bindFn = program.fn('rt_bind_peer');
    const checkFn = program.fn('ipv4_dst_check');
    if (!bindFn) throw new PeerpropError(`rt_bind_peer() is not defined in ${program.file}`, ExitCode.BadInput, { file: program.file });
    if (!checkFn) throw new PeerpropError(`ipv4_dst_check() is not defined in ${program.file}`, ExitCode.BadInput, { file: program.file });
    // Compile everything the operations may run before the memory is laid out (globals they use).
    const used = era === 'pmtu-redirect' ? ['rt_peer_genid', 'ip_rt_frag_needed', 'ip_rt_update_pmtu', 'ip_rt_redirect', 'check_peer_pmtu'] : ['rt_peer_genid'];
    for (const f of used) if (program.hasFunction(f)) program.fn(f);
    const gt = program.globalType(GENID_GLOBAL);
    if (gt !== undefined) program.global(GENID_GLOBAL);
    this.genidKind = gt === undefined ? 'none' : /atomic_t/.test(gt) ? 'atomic' : 'plain';
    if (era !== 'pre-genid' && this.genidKind === 'none') {
      throw new PeerpropError(`${program.file} has no ${GENID_GLOBAL}: not a ${era}-era file (try --era pre-genid)`, ExitCode.BadInput, {
        file: program.file,
      });
    }
    this.fns = {
      bind: 'rt_bind_peer',
      check: 'ipv4_dst_check',
      bindTakesDaddr: bindFn.params.length === 3,
      destroy: program.hasFunction('ipv4_dst_destroy') ? 'ipv4_dst_destroy' : undefined,
    };
    if (this.fns.destroy) {
      try {
        program.fn(this.fns.destroy);
      } catch {
        // A destroy function we cannot evaluate: route_free falls back to its documented effect.
        this.fns.destroy = undefined;
      }
    }
    this.flushInvalidatesPeers = program.matches(/\binetpeer_invalidate_tree\s*\(/);
    this.flushBumpsRedirectGenid = program.globalType('redirect_genid') !== undefined;
    if (this.flushBumpsRedirectGenid) program.global('redirect_genid');
    this.m = program.newMachine();
    this.setGenid(initialGenid);
  }

  /** rt_cache_invalidate() of this file swaps the inetpeer tree out (3.3-3.5). */
  readonly flushInvalidatesPeers: boolean;
  /** rt_cache_invalidate() of this file bumps a redirect_genid (3.2). */
  readonly flushBumpsRedirectGenid: boolean;

  /** The global genid as the C reads it through rt_peer_genid() (u32). */
  get genid(): number | undefined {
    const g = this.m.globals.f[GENID_GLOBAL];
    if (g === undefined) return undefined;
    if (g instanceof CStruct) return (g.f.counter as number) >>> 0;
    return (g as number) >>> 0;
  }

  setGenid(v: number): void {
    const g = this.m.globals.f[GENID_GLOBAL];
    if (g === undefined) return;
    if (g instanceof CStruct) g.f.counter = v | 0;
    else this.m.globals.f[GENID_GLOBAL] = normalise(v, scalarType(this.program.globalType(GENID_GLOBAL)!) ?? 'int');
  }

  /** A copy of this system's memory (same compiled program). */
  clone(): CSystem {
    const c = Object.create(CSystem.prototype) as CSystem;
    Object.assign(c, this);
    c.m = this.m.clone();
    return c;
  }

  private route(id: number): CStruct {
    const r = this.m.routes[id];
    if (!r || r.f.freed) throw new PeerpropError(`harness: route ${id} does not exist`, ExitCode.BadInput);
    return r;
  }

  private bindArgs(rt: CStruct, create: number): Value[] {
    return this.fns.bindTakesDaddr ? [rt, rt.f.rt_dst!, create] : [rt, create];
  }

  /** One operation as a generator; its return value is the check result where there is one. */
  *op(op: Operation): Gen<{ valid?: boolean }> {
    const p = this.program;
    const m = this.m;
    switch (op.op) {
      case 'route_new': {
        const rt = m.newRoute(op.rt, op.daddr, op.nexthop ?? DEFAULT_GATEWAY);
        if (this.era === 'pmtu-redirect') {
          // rt_init_metrics after 3c0afdca: lookup only, stamp only when a peer was found.
          yield* this.initMetricsLookupOnly(rt);
        } else {
          // The seed's rt_init_metrics: rt_bind_peer(rt, create) with create = PRECOW (0 here).
          yield* p.run(this.fns.bind, this.bindArgs(rt, 0), m);
        }
        return {};
      }
      case 'bind':
        yield* p.run(this.fns.bind, this.bindArgs(this.route(op.rt), op.create), m);
        return {};
      case 'check': {
        const rt = this.route(op.rt);
        const r = yield* p.run(this.fns.check, [rt, 0], m);
        return { valid: r !== null && r !== 0 };
      }
      case 'peer_new': {
        // Someone else's inet_getpeer(daddr, 1) + inet_putpeer (e.g. ip_select_ident).
        const site = harnessSite('peer_new');
        yield { kind: 'lookup', target: `peers[${op.daddr}]`, site };
        const d = addrToNumber(op.daddr);
        m.addrNames.set(d, op.daddr);
        let peer = m.peers.get(d);
        if (peer) peer.f.refcnt = ((peer.f.refcnt as number) + 1) | 0;
        else peer = m.newPeer(d);
        yield { kind: 'rmw', target: `${peer.label}.refcnt`, site };
        peer.f.refcnt = ((peer.f.refcnt as number) - 1) | 0;
        return {};
      }
      case 'bump': {
        const times = op.times ?? 1;
        for (let i = 0; i < times; i++) yield* this.bump();
        return {};
      }
      case 'pmtu': {
        if (op.rt !== undefined) {
          // dst_ops->update_pmtu on the socket's route.
          if (!p.hasFunction('ip_rt_update_pmtu')) throw new PeerpropError(`ip_rt_update_pmtu() is not defined in ${p.file}`, ExitCode.BadInput, { file: p.file });
          yield* p.run('ip_rt_update_pmtu', [this.route(op.rt), op.mtu], m);
          return {};
        }
        // ICMP "fragmentation needed" quoting a packet to daddr that was sent at the device MTU.
        if (!p.hasFunction('ip_rt_frag_needed')) throw new PeerpropError(`ip_rt_frag_needed() is not defined in ${p.file}`, ExitCode.BadInput, { file: p.file });
        const d = addrToNumber(op.daddr);
        m.addrNames.set(d, op.daddr);
        const iph = new CStruct('iphdr', { daddr: d, saddr: 0, tot_len: 1500, ihl: 5 }, false, 'iph');
        yield* p.run('ip_rt_frag_needed', [m.net, iph, op.mtu, m.dev], m);
        return {};
      }
      case 'redirect': {
        // ICMP redirect from `from` (the old gateway) telling us to reach daddr through `gateway`.
        if (!p.hasFunction('ip_rt_redirect')) throw new PeerpropError(`ip_rt_redirect() is not defined in ${p.file}`, ExitCode.BadInput, { file: p.file });
        const d = addrToNumber(op.daddr);
        const gw = addrToNumber(op.gateway);
        const from = addrToNumber(op.from);
        m.addrNames.set(d, op.daddr);
        m.addrNames.set(gw, op.gateway);
        m.addrNames.set(from, op.from);
        yield* p.run('ip_rt_redirect', [from, d, gw, 0, m.dev], m);
        return {};
      }
      case 'tick':
        yield { kind: 'rmw', target: 'jiffies', site: harnessSite('tick') };
        m.now += op.ticks;
        return {};
      case 'flush': {
        // rt_cache_invalidate(): the namespace generation moves (every cached route expires);
        // 3.2 also bumps the file's redirect_genid, 3.3-3.5 swap the whole inetpeer tree out
        // (inetpeer_invalidate_tree: lookups stop finding the old peers, routes keep theirs).
        yield { kind: 'rmw', target: 'net->ipv4.rt_genid', site: harnessSite('flush') };
        m.netGenid = m.netGenid + 1;
        if (this.flushBumpsRedirectGenid) {
          const g = m.globals.f.redirect_genid;
          if (typeof g === 'number') m.globals.f.redirect_genid = (g + 1) | 0;
        }
        if (this.flushInvalidatesPeers) m.peers = new Map();
        return {};
      }
      case 'route_free': {
        const rt = this.route(op.rt);
        if (this.fns.destroy) yield* p.run(this.fns.destroy, [rt], m);
        else {
          const peer = rt.f.peer;
          if (peer instanceof CStruct) {
            yield { kind: 'rmw', target: `${peer.label}.refcnt`, site: harnessSite('route_free') };
            peer.f.refcnt = ((peer.f.refcnt as number) - 1) | 0;
          }
        }
        rt.f.freed = 1;
        return {};
      }
      default:
        throw new PeerpropError(`the C functions of this era do not implement operation ${(op as Operation).op}`, ExitCode.BadInput);
    }
  }

  /**
   * The follow-ups' bump of the file's counter: atomic_inc(&__rt_peer_genid) for an atomic_t;
   * for a plain integer the only thing a bumper can write is `__rt_peer_genid++`, a load and a
   * separate store.
   */
  private *bump(): Gen<void> {
    const site = harnessSite('bump');
    const g = this.m.globals.f[GENID_GLOBAL];
    if (g === undefined) return;
    if (g instanceof CStruct) {
      yield { kind: 'rmw', target: GENID_GLOBAL, site };
      g.f.counter = ((g.f.counter as number) + 1) | 0;
      return;
    }
    yield { kind: 'read', target: GENID_GLOBAL, site };
    const v = this.m.globals.f[GENID_GLOBAL] as number;
    yield { kind: 'write', target: GENID_GLOBAL, site };
    this.setGenid(v + 1);
  }

  private *initMetricsLookupOnly(rt: CStruct): Gen<void> {
    const site = harnessSite('route_new');
    const d = rt.f.rt_dst as number;
    yield { kind: 'lookup', target: `peers[${this.m.nameOf(d)}]`, site };
    const peer = this.m.peers.get(d);
    if (!peer) return;
    peer.f.refcnt = ((peer.f.refcnt as number) + 1) | 0;
    rt.f.peer = peer;
    const p = this.program;
    const v = p.hasFunction('rt_peer_genid') ? yield* p.run('rt_peer_genid', [], this.m) : this.genid;
    rt.f.rt_peer_genid = (v as number) >>> 0;
    // rt_init_metrics then applies what the peer learned, through the file's own check_peer_pmtu(),
    // and takes a learned redirect's gateway directly (no neighbour test).
    if (peer.f.pmtu_expires && p.hasFunction('check_peer_pmtu')) yield* p.run('check_peer_pmtu', [rt, peer], this.m);
    const learned = (peer.f.redirect_learned as CStruct | undefined)?.f.a4 as number | undefined;
    if (learned && learned !== rt.f.rt_gateway) {
      rt.f.rt_gateway = learned;
      rt.f.rt_flags = ((rt.f.rt_flags as number) | CONSTANTS.RTCF_REDIRECTED!) >>> 0;
    }
  }

  /** The state the model also describes. */
  observe(valid?: boolean): Observation {
    const routes: Observation['routes'] = [];
    this.m.routes.forEach((r, id) => {
      if (!r || r.f.freed) return;
      const peer = r.f.peer;
      routes.push({
        id,
        peer: peer instanceof CStruct ? peerName(this.m.nameOf(peer.f.daddr as number), this.m.peers.get(peer.f.daddr as number) !== peer) : null,
        peerGenid: (r.f.rt_peer_genid as number) >>> 0,
      });
    });
    const peers: Record<string, number> = {};
    for (const [d, p] of this.m.peers) peers[this.m.nameOf(d)] = p.f.refcnt as number;
    const o: Observation = { routes, peers };
    if (this.era !== 'pre-genid') o.genid = this.genid;
    if (this.era === 'pmtu-redirect') {
      o.mtu = {};
      o.pmtu = {};
      o.gateway = {};
      this.m.routes.forEach((r, id) => {
        if (!r || r.f.freed) return;
        o.mtu![id] = effectiveMtu(r);
        o.gateway![id] = `${this.m.nameOf(r.f.rt_gateway as number)}${((r.f.rt_flags as number) & CONSTANTS.RTCF_REDIRECTED!) !== 0 ? ' (redirected)' : ''}`;
      });
      // pmtu_orig as the MTU a restore gives: 0 (unsaved, or a saved unset metric) is the device MTU.
      for (const [d, p] of this.m.peers) o.pmtu[this.m.nameOf(d)] = `${p.f.pmtu_learned}/${p.f.pmtu_expires}/${(p.f.pmtu_orig as number) || DEVICE_MTU}`;
    }
    if (valid !== undefined) o.valid = valid;
    return o;
  }
}

/** A route's peer as reports show it: its destination, marked when the peer left the inetpeer tree. */
export function peerName(daddr: string, detached: boolean): string {
  return detached ? `${daddr} (detached)` : daddr;
}

const harnessSites = new Map<string, Site>();
/** Operations the harness carries out itself (not C of the file) are attributed to it. */
export function harnessSite(op: string): Site {
  let s = harnessSites.get(op);
  if (!s) {
    s = { file: '<harness>', line: 0, column: 0, func: op };
    harnessSites.set(op, s);
  }
  return s;
}

/** Runs an operation to its end on one CPU. */
export function runOp(sys: CSystem, op: Operation): { valid?: boolean } {
  const g = sys.op(op);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

export type { Access };
