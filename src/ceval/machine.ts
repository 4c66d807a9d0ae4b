/**
 * The evaluator's memory: the file's globals, the network namespace, the routes and the
 * inetpeer table. Stubs of kernel primitives read and write it; the differential check
 * projects it onto the model's state after every step.
 */
import { CStruct, FieldRef, type Site, type Value } from './values.ts';

/** What a CPU is about to touch when it yields (the scheduling points of an interleaving). */
export interface Access {
  kind: 'read' | 'write' | 'rmw' | 'lookup';
  /** 'route 0.peer', '__rt_peer_genid', 'peers[10.0.0.1]'. */
  target: string;
  site: Site;
}

export type Gen<T> = Generator<Access, T, void>;

/** A statement executed (with the branch outcome for an `if`). */
export interface TraceEntry {
  site: Site;
  kind: 'stmt' | 'if-true' | 'if-false' | 'return';
}

/** One activation of a C function. */
export interface Frame {
  s: Value[];
  ret: Value;
  m: Machine;
}

/** IPv4 dotted quad <-> the __be32 value the C code sees (byte order is irrelevant for identity). */
export function addrToNumber(daddr: string): number {
  const parts = daddr.split('.').map(Number);
  if (parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p < 256)) {
    return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  }
  // Model destinations that are not dotted quads still need a stable, distinct key.
  let h = 0x811c9dc5;
  for (const c of daddr) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

export function numberToAddr(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export class Machine {
  /** File-scope variables of the program, by name (a plain u32 lives in f[name]; an atomic_t is a CStruct). */
  globals: CStruct;
  net: CStruct;
  dev: CStruct;
  routes: CStruct[] = [];
  /** inet_peer entries by destination (__be32). */
  peers = new Map<number, CStruct>();
  /** jiffies: the model's clock in ticks. */
  now = 0;
  /** Gateways whose neighbour does not resolve (ipv4_neigh_lookup fails). */
  unresolved = new Set<number>();
  /** Model names of destinations, to map peers back. */
  addrNames = new Map<number, string>();
  /** Last statement started (for "which C line" when no write explains a divergence). */
  lastSite: Site | undefined;
  /** When set, every peer lookup is appended (what a probe on inet_getpeer would see). */
  lookups: { daddr: number; create: number; found: boolean; created: boolean }[] | undefined;
  /** When set, every statement executed is appended (divergence explanations re-run with it on). */
  trace: TraceEntry[] | undefined;
  /** Last write to any field, by "label.field". */
  lastWrites = new Map<string, Site>();

  constructor() {
    this.globals = new CStruct('globals', Object.create(null), true, 'globals');
    const rtGenid = new CStruct('atomic_t', { counter: 0 }, true, 'net->ipv4.rt_genid');
    const ipv4 = new CStruct('netns_ipv4', { rt_genid: rtGenid }, true, 'net->ipv4');
    ipv4.emb = new Set(['rt_genid']);
    this.net = new CStruct('net', { ipv4 }, true, 'net');
    this.net.emb = new Set(['ipv4']);
    this.dev = new CStruct('net_device', { nd_net: this.net, ifindex: 1, mtu: 1500 }, true, 'dev');
  }

  /** The namespace's cache generation (rt_genid). */
  get netGenid(): number {
    return ((this.net.f.ipv4 as CStruct).f.rt_genid as CStruct).f.counter as number;
  }
  set netGenid(v: number) {
    ((this.net.f.ipv4 as CStruct).f.rt_genid as CStruct).f.counter = v | 0;
  }

  nameOf(daddr: number): string {
    return this.addrNames.get(daddr) ?? numberToAddr(daddr);
  }

  /** A new, zeroed struct rtable to daddr (dst_alloc zeroes it), of the current cache generation. */
  newRoute(id: number, daddr: string, gateway: string = daddr): CStruct {
    const d = addrToNumber(daddr);
    this.addrNames.set(d, daddr);
    const gw = addrToNumber(gateway);
    this.addrNames.set(gw, gateway);
    const rt = new CStruct(
      'rtable',
      {
        peer: null,
        rt_peer_genid: 0,
        rt_genid: this.netGenid,
        rt_dst: d,
        rt_key_dst: d,
        rt_gateway: gw,
        rt_flags: 0,
        neighbour: null,
        dev: this.dev,
        obsolete: 0,
        expires: 0,
        mtu: 1500,
        freed: 0,
      },
      true,
      `route ${id}`,
    );
    rt.zeroed = true;
    this.routes[id] = rt;
    return rt;
  }

  /** A new inet_peer for daddr with one reference (inet_getpeer(create=1) on a miss). */
  newPeer(daddr: number): CStruct {
    const redirect = new CStruct('inetpeer_addr', { a4: 0 }, true, `peer ${this.nameOf(daddr)}.redirect_learned`);
    const p = new CStruct(
      'inet_peer',
      { daddr, refcnt: 1, pmtu_expires: 0, pmtu_learned: 0, pmtu_orig: 0, redirect_genid: 0, redirect_learned: redirect },
      true,
      `peer ${this.nameOf(daddr)}`,
    );
    p.emb = new Set(['redirect_learned']);
    this.peers.set(daddr, p);
    return p;
  }

  recordWrite(o: CStruct, k: string, site: Site): void {
    o.w[k] = site;
    this.lastWrites.set(`${o.label}.${k}`, site);
  }

  /** Deep copy (object identities preserved inside the copy): exhaustive search branches from here. */
  clone(): Machine {
    const map = new Map<CStruct, CStruct>();
    const copy = (o: CStruct): CStruct => {
      let c = map.get(o);
      if (c) return c;
      c = new CStruct(o.type, Object.create(null), o.shared, o.label);
      c.emb = o.emb;
      c.zeroed = o.zeroed;
      map.set(o, c);
      for (const k in o.f) {
        const v = o.f[k];
        c.f[k] = v instanceof CStruct ? copy(v) : v instanceof FieldRef ? new FieldRef(copy(v.o), v.k) : v;
      }
      for (const k in o.w) c.w[k] = o.w[k]!;
      return c;
    };
    const m = Object.create(Machine.prototype) as Machine;
    m.globals = copy(this.globals);
    m.net = copy(this.net);
    m.dev = copy(this.dev);
    m.routes = this.routes.map((r) => (r ? copy(r) : r));
    m.peers = new Map([...this.peers].map(([k, p]) => [k, copy(p)]));
    m.addrNames = this.addrNames;
    m.now = this.now;
    m.unresolved = this.unresolved;
    m.lastSite = this.lastSite;
    m.trace = undefined;
    m.lookups = undefined;
    m.lastWrites = new Map(this.lastWrites);
    return m;
  }
}
