/**
 * Kernel primitives the patched functions call, bound to the evaluator's memory.
 * Each stub that touches shared memory yields an Access first: that is where another CPU
 * may run (the atomic ops, cmpxchg and the peer-table lookup are each one indivisible step,
 * as they are in the kernel).
 */
import { CStruct, FieldRef, sameValue, type CType, type Site, type Value } from './values.ts';
import type { Frame, Gen } from './machine.ts';
import { PeerpropError, ExitCode } from '../core/errors.ts';

export interface Stub {
  ret: CType;
  /** Number of arguments (checked at compile time). */
  arity: number;
  /** True when it touches shared memory (then `call` is a generator). */
  gen: boolean;
  call(fr: Frame, args: Value[], site: Site): Value | Gen<Value>;
}

/**
 * A bug the evaluated C itself commits at run time (a NULL dereference, a division by zero):
 * the kernel would oops. The differential check reports it as a divergence, not as bad input.
 */
export class CRuntimeFault extends PeerpropError {
  constructor(
    message: string,
    readonly site: Site,
  ) {
    super(`${message} (in ${site.func})`, ExitCode.Findings, { file: site.file, line: site.line, column: site.column });
  }
}

export function nullFault(message: string, site: Site): CRuntimeFault {
  return new CRuntimeFault(message, site);
}

/** Something the evaluator cannot model at run time (a field it does not know, a wrong argument kind). */
export function cFault(message: string, site: Site): PeerpropError {
  return new PeerpropError(`${message} (in ${site.func})`, ExitCode.BadInput, {
    file: site.file,
    line: site.line,
    column: site.column,
  });
}

function atomicArg(v: Value, name: string, site: Site): CStruct {
  if (v instanceof CStruct && v.type === 'atomic_t') return v;
  throw cFault(`${name}() needs a pointer to an atomic_t`, site);
}

function structArg(v: Value, name: string, site: Site): CStruct {
  if (v instanceof CStruct) return v;
  if (v === null) throw nullFault(`${name}(NULL): NULL dereference`, site);
  throw cFault(`${name}() got a non-struct pointer`, site);
}

function* atomicRmw(fr: Frame, a: CStruct, delta: number, site: Site): Gen<number> {
  if (a.shared) yield { kind: 'rmw', target: a.label, site };
  const v = ((a.f.counter as number) + delta) | 0;
  a.f.counter = v;
  fr.m.recordWrite(a, 'counter', site);
  return v;
}

function* peerLookup(fr: Frame, daddr: number, create: Value, site: Site): Gen<Value> {
  const m = fr.m;
  yield { kind: 'lookup', target: `peers[${m.nameOf(daddr)}]`, site };
  const p = m.peers.get(daddr);
  const c = create === null || create === 0 ? 0 : 1;
  m.lookups?.push({ daddr, create: c, found: !!p, created: !p && c === 1 });
  if (p) {
    p.f.refcnt = ((p.f.refcnt as number) + 1) | 0;
    m.recordWrite(p, 'refcnt', site);
    return p;
  }
  if (create === null || create === 0) return null;
  const n = m.newPeer(daddr);
  m.recordWrite(n, 'refcnt', site);
  return n;
}

const NUD_INCOMPLETE = 0x01;
const NUD_REACHABLE = 0x02;

/** A neighbour entry for a gateway (resolved unless told otherwise). */
function neighbour(gw: Value, state = NUD_REACHABLE): CStruct {
  return new CStruct('neighbour', { gw: gw ?? 0, nud_state: state }, false, 'neighbour');
}

/**
 * Functions a file may define that are plumbing of other subsystems (the neighbour layer), not
 * protocol logic: the stub is used even when the file has a definition.
 */
export const PREFER_STUB: ReadonlySet<string> = new Set(['ipv4_neigh_lookup']);

/** The MTU a route really uses: the metric, else the device MTU. */
export function effectiveMtu(r: CStruct): number {
  const raw = r.f.mtu as number;
  if (raw) return raw;
  const dev = r.f.dev;
  return dev instanceof CStruct && typeof dev.f.mtu === 'number' ? dev.f.mtu : 1500;
}

const noop: Stub = { ret: 'void', arity: -1, gen: false, call: () => 0 };

export const STUBS: Record<string, Stub> = {
  atomic_read: {
    ret: 'int',
    arity: 1,
    gen: true,
    *call(_fr, [v], site) {
      const a = atomicArg(v!, 'atomic_read', site);
      if (a.shared) yield { kind: 'read', target: a.label, site };
      return a.f.counter as number;
    },
  },
  atomic_set: {
    ret: 'void',
    arity: 2,
    gen: true,
    *call(fr, [v, i], site) {
      const a = atomicArg(v!, 'atomic_set', site);
      if (a.shared) yield { kind: 'write', target: a.label, site };
      a.f.counter = (i as number) | 0;
      fr.m.recordWrite(a, 'counter', site);
      return 0;
    },
  },
  atomic_inc: { ret: 'void', arity: 1, gen: true, call: (fr, [v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_inc', site), 1, site) },
  atomic_dec: { ret: 'void', arity: 1, gen: true, call: (fr, [v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_dec', site), -1, site) },
  atomic_inc_return: { ret: 'int', arity: 1, gen: true, call: (fr, [v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_inc_return', site), 1, site) },
  atomic_dec_return: { ret: 'int', arity: 1, gen: true, call: (fr, [v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_dec_return', site), -1, site) },
  atomic_add: { ret: 'void', arity: 2, gen: true, call: (fr, [i, v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_add', site), i as number, site) },
  atomic_sub: { ret: 'void', arity: 2, gen: true, call: (fr, [i, v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_sub', site), -(i as number), site) },
  atomic_add_return: { ret: 'int', arity: 2, gen: true, call: (fr, [i, v], site) => atomicRmw(fr, atomicArg(v!, 'atomic_add_return', site), i as number, site) },
  cmpxchg: {
    ret: 'ptr',
    arity: 3,
    gen: true,
    *call(fr, [ptr, old, nu], site) {
      if (!(ptr instanceof FieldRef)) throw cFault('cmpxchg() needs the address of a field', site);
      const o = ptr.o;
      if (o.shared) yield { kind: 'rmw', target: `${o.label}.${ptr.k}`, site };
      const cur = o.f[ptr.k];
      if (cur === undefined) throw cFault(`cmpxchg(): field ${ptr.k} of struct ${o.type} is not modelled`, site);
      if (sameValue(cur, old!)) {
        o.f[ptr.k] = nu!;
        fr.m.recordWrite(o, ptr.k, site);
      }
      return cur;
    },
  },
  inet_getpeer_v4: {
    ret: 'ptr',
    arity: 2,
    gen: true,
    call: (fr, [daddr, create], site) => peerLookup(fr, (daddr as number) >>> 0, create!, site),
  },
  inet_getpeer: {
    ret: 'ptr',
    arity: 2,
    gen: true,
    call(fr, [addr, create], site) {
      const a = structArg(addr!, 'inet_getpeer', site);
      const inner = a.f.addr instanceof CStruct ? a.f.addr : a;
      const a4 = inner.f.a4;
      if (typeof a4 !== 'number') throw cFault('inet_getpeer(): the address has no a4 (only IPv4 is modelled)', site);
      return peerLookup(fr, a4 >>> 0, create!, site);
    },
  },
  inet_putpeer: {
    ret: 'void',
    arity: 1,
    gen: true,
    *call(fr, [p], site) {
      const peer = structArg(p!, 'inet_putpeer', site);
      yield { kind: 'rmw', target: `${peer.label}.refcnt`, site };
      peer.f.refcnt = ((peer.f.refcnt as number) - 1) | 0;
      fr.m.recordWrite(peer, 'refcnt', site);
      return 0;
    },
  },
  rt_is_expired: {
    ret: 'int',
    arity: 1,
    gen: true,
    *call(fr, [rt], site) {
      const r = structArg(rt!, 'rt_is_expired', site);
      yield { kind: 'read', target: `${r.label}.rt_genid`, site };
      return r.f.rt_genid !== fr.m.netGenid ? 1 : 0;
    },
  },
  rt_genid: {
    ret: 'int',
    arity: 1,
    gen: true,
    *call(fr, _args, site) {
      yield { kind: 'read', target: 'net->ipv4.rt_genid', site };
      return fr.m.netGenid;
    },
  },
  dev_net: {
    ret: 'ptr',
    arity: 1,
    gen: false,
    call: (_fr, [dev], site) => {
      const d = structArg(dev!, 'dev_net', site);
      return d.f.nd_net ?? null;
    },
  },
  smp_mb: { ...noop, arity: 0 },
  smp_rmb: { ...noop, arity: 0 },
  smp_wmb: { ...noop, arity: 0 },
  barrier: { ...noop, arity: 0 },
  rcu_read_lock: { ...noop, arity: 0 },
  rcu_read_unlock: { ...noop, arity: 0 },
  dst_confirm: { ...noop, arity: 1 },
  // Time is the model's clock in ticks; HZ is 1 so that 10 * 60 * HZ is the model's 600-tick expiry.
  time_before: { ret: 'int', arity: 2, gen: false, call: (_fr, [a, b]) => ((a as number) - (b as number) < 0 ? 1 : 0) },
  time_after: { ret: 'int', arity: 2, gen: false, call: (_fr, [a, b]) => ((b as number) - (a as number) < 0 ? 1 : 0) },
  time_after_eq: { ret: 'int', arity: 2, gen: false, call: (_fr, [a, b]) => ((a as number) - (b as number) >= 0 ? 1 : 0) },
  time_before_eq: { ret: 'int', arity: 2, gen: false, call: (_fr, [a, b]) => ((b as number) - (a as number) >= 0 ? 1 : 0) },
  ntohs: { ret: 'uint', arity: 1, gen: false, call: (_fr, [x]) => (x as number) & 0xffff },
  htons: { ret: 'uint', arity: 1, gen: false, call: (_fr, [x]) => (x as number) & 0xffff },
  ntohl: { ret: 'uint', arity: 1, gen: false, call: (_fr, [x]) => (x as number) >>> 0 },
  htonl: { ret: 'uint', arity: 1, gen: false, call: (_fr, [x]) => (x as number) >>> 0 },
  // Redirect acceptance (ip_rt_redirect's first tests): the device accepts redirects, is not
  // shared media, and the new gateway is on-link.
  __in_dev_get_rcu: {
    ret: 'ptr',
    arity: 1,
    gen: false,
    call: (_fr, [dev], site) => {
      const d = structArg(dev!, '__in_dev_get_rcu', site);
      let in_dev = d.f.ip_ptr;
      if (!(in_dev instanceof CStruct)) {
        in_dev = new CStruct('in_device', { rx_redirects: 1, shared_media: 0 }, true, 'in_dev');
        d.f.ip_ptr = in_dev;
      }
      return in_dev;
    },
  },
  IN_DEV_RX_REDIRECTS: { ret: 'int', arity: 1, gen: false, call: (_fr, [i], site) => structArg(i!, 'IN_DEV_RX_REDIRECTS', site).f.rx_redirects as number },
  IN_DEV_SHARED_MEDIA: { ret: 'int', arity: 1, gen: false, call: (_fr, [i], site) => structArg(i!, 'IN_DEV_SHARED_MEDIA', site).f.shared_media as number },
  IN_DEV_SEC_REDIRECTS: { ret: 'int', arity: 1, gen: false, call: () => 0 },
  inet_addr_onlink: { ret: 'int', arity: 3, gen: false, call: () => 1 },
  ipv4_is_multicast: { ret: 'int', arity: 1, gen: false, call: (_fr, [a]) => (((a as number) >>> 28) === 0xe ? 1 : 0) },
  ipv4_is_lbcast: { ret: 'int', arity: 1, gen: false, call: (_fr, [a]) => ((a as number) >>> 0 === 0xffffffff ? 1 : 0) },
  ipv4_is_zeronet: { ret: 'int', arity: 1, gen: false, call: (_fr, [a]) => (((a as number) >>> 24) === 0 ? 1 : 0) },
  net_ratelimit: { ret: 'int', arity: 0, gen: false, call: () => 0 },
  // Neighbours: a gateway resolves unless the harness marked it unresolved.
  neigh_release: { ...noop, arity: 1 },
  call_netevent_notifiers: { ...noop, arity: 2 },
  /** The gateway may be passed by value (older code) or by address (3.1+: `&rt->rt_gateway`). */
  ipv4_neigh_lookup: {
    ret: 'ptr',
    arity: 2,
    gen: false,
    call: (fr, [_dst, gw]) => {
      const g = gw instanceof FieldRef ? (gw.o.f[gw.k] as number) : (gw as number);
      return fr.m.unresolved.has(g >>> 0) ? null : neighbour(g);
    },
  },
  /** 2.6.39: binds the route's neighbour for its gateway; 0 = success. */
  arp_bind_neighbour: {
    ret: 'int',
    arity: 1,
    gen: false,
    call: (fr, [dst], site) => {
      const r = structArg(dst!, 'arp_bind_neighbour', site);
      const g = r.f.rt_gateway as number;
      r.f.neighbour = fr.m.unresolved.has(g >>> 0) ? neighbour(g, NUD_INCOMPLETE) : neighbour(g);
      return 0;
    },
  },
  neigh_event_send: { ret: 'int', arity: 2, gen: false, call: () => 0 },
  IS_ERR: { ret: 'int', arity: 1, gen: false, call: () => 0 },
  PTR_ERR: { ret: 'int', arity: 1, gen: false, call: () => 0 },
  /** Atomic exchange of a field: returns the old value. */
  xchg: {
    ret: 'ptr',
    arity: 2,
    gen: true,
    *call(fr, [ptr, v], site) {
      if (!(ptr instanceof FieldRef)) throw cFault('xchg() needs the address of a field', site);
      const o = ptr.o;
      if (o.shared) yield { kind: 'rmw', target: `${o.label}.${ptr.k}`, site };
      let cur = o.f[ptr.k];
      if (cur === undefined) {
        if (!o.zeroed) throw cFault(`xchg(): field ${ptr.k} of struct ${o.type} is not modelled`, site);
        cur = null;
      }
      o.f[ptr.k] = v!;
      fr.m.recordWrite(o, ptr.k, site);
      return cur;
    },
  },
  // Redirect acceptance checks that need the FIB: the new gateway is a plain unicast neighbour.
  ip_fib_check_default: { ret: 'int', arity: 2, gen: false, call: () => 0 },
  inet_addr_type: { ret: 'int', arity: 2, gen: false, call: () => CONSTANTS.RTN_UNICAST! },
  /**
   * The route's MTU: its RTAX_MTU metric, or the device's MTU when the metric is 0 (unset).
   * `mtu` on a route is the raw metric; the model's RouteState.mtu is this effective value.
   */
  dst_mtu: {
    ret: 'uint',
    arity: 1,
    gen: true,
    *call(_fr, [dst], site) {
      const r = structArg(dst!, 'dst_mtu', site);
      yield { kind: 'read', target: `${r.label}.mtu`, site };
      return effectiveMtu(r);
    },
  },
  dst_metric_raw: {
    ret: 'uint',
    arity: 2,
    gen: true,
    *call(_fr, [dst, metric], site) {
      const r = structArg(dst!, 'dst_metric_raw', site);
      if (metric !== CONSTANTS.RTAX_MTU) throw cFault(`dst_metric_raw(): only RTAX_MTU is modelled`, site);
      yield { kind: 'read', target: `${r.label}.mtu`, site };
      return r.f.mtu as number;
    },
  },
  dst_metric_set: {
    ret: 'void',
    arity: 3,
    gen: true,
    *call(fr, [dst, metric, v], site) {
      const r = structArg(dst!, 'dst_metric_set', site);
      if (metric !== CONSTANTS.RTAX_MTU) throw cFault(`dst_metric_set(): only RTAX_MTU is modelled`, site);
      yield { kind: 'write', target: `${r.label}.mtu`, site };
      r.f.mtu = (v as number) >>> 0;
      fr.m.recordWrite(r, 'mtu', site);
      return 0;
    },
  },
};

/** Constants the functions may name (values as in 2.6.39 headers; only identity matters). */
export const CONSTANTS: Record<string, number> = {
  AF_INET: 2,
  AF_INET6: 10,
  true: 1,
  false: 0,
  FLOWI_FLAG_PRECOW_METRICS: 0x04,
  RTCF_REDIRECTED: 0x00040000,
  DST_OBSOLETE_NONE: 0,
  DST_OBSOLETE_DEAD: 2,
  DST_OBSOLETE_FORCE_CHK: -1,
  DST_OBSOLETE_KILL: -2,
  HZ: 1,
  RTAX_MTU: 2,
  EAGAIN: 11,
  NETEVENT_NEIGH_UPDATE: 1,
  NUD_VALID: 0xde,
  RTN_UNICAST: 1,
};
