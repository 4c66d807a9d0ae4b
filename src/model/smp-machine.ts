/**
 * The shared state and printer of the routing-cache SMP model (smp.ts): routes, peers, the global
 * peer genid, the namespace's rt_genid (route expiry by flush) and 3.2's redirect_genid, and the
 * steps of rt_bind_peer every caller shares. One instance per run.
 */
import { routePointer } from './generate.ts';
import type { Stage } from './types.ts';

export interface Route {
  ptr: string;
  daddr: string;
  peer: string | null;
  rtg: number;
  /** rt_gateway (a redirect applied to the route switches it). */
  gw: string;
  flags: number;
  /** The namespace's rt_genid when the route was created: it is expired once they differ. */
  netG: number;
}

export type Step = () => void;

/** RTCF_REDIRECTED: set when check_peer_redir switched the route's gateway. */
export const RTCF_REDIRECTED = 0x40000;
/** Every route's first gateway (the redirects' sender). */
export const FIRST_GW = '10.0.0.1';

export const u32 = (x: number) => x >>> 0;
export const hex = (n: number) => u32(n).toString(16);
export const bare = (p: string | null) => (p === null ? '0' : p.replace(/^0x/, ''));
/** 3.0 prints an IPv4 address as its network-order u32 read little-endian. */
export function ipHex(a: string): string {
  const b = a.split('.').map(Number);
  return hex((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!);
}
export const daddrOf = (i: number) => `10.1.0.${5 + i}`;

export const SMP_TEXT_HEADER = '# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n';

/** Shared kernel state and the printer. */
export class Machine {
  G: number;
  readonly routes: Route[];
  readonly peers = new Map<string, string>();
  /** Destinations a lookup has returned "none" for (what replay knows about them). */
  readonly sawNone = new Set<string>();
  /** peer->pmtu_learned of the peers whose pmtu_expires is set (the machine never lets time pass). */
  readonly learned = new Map<string, number>();
  /** peer->redirect_learned (and, S4, the redirect_genid it was learned under). */
  readonly redirects = new Map<string, { gw: string; rgen: number }>();
  /** net->ipv4.rt_genid (flushes add to it) and S4's redirect_genid (flushes bump it). */
  netG = 0;
  redirectGenid = 0;
  /** The scenario runs flushes, redirects or PMTU updates: the check and the cache hit get their steps for them. */
  extended = false;
  /** check_peer_pmtu's probe is traced. */
  probePmtu = false;
  /** Calls in flight per route (they hold a reference: the route cannot be destroyed), and redirect walks in flight. */
  readonly inUse = new Map<number, number>();
  walks = 0;

  /** A call starts (+1) or ends (-1). */
  using(call: { kind: string; rt?: number }, d: 1 | -1): void {
    if (call.kind === 'redirect') this.walks += d;
    if (call.rt !== undefined) this.inUse.set(call.rt, (this.inUse.get(call.rt) ?? 0) + d);
  }
  private nextPeer = 0;
  readonly out: string[] = [SMP_TEXT_HEADER.trimEnd()];
  private ts = 100;
  /** The CPU and pid of the step being run. */
  cpu = 0;
  pid = 0;
  /** Lines are 1-based; the header takes the first lines. */
  get nextLine(): number {
    return SMP_TEXT_HEADER.split('\n').length - 1 + (this.out.length - 1) + 1;
  }

  constructor(routeDaddr: number[], genid: number, readonly stage: Stage) {
    this.G = u32(genid);
    // Routes start peerless at rt_peer_genid 0 (2.6.39+: only a route created with a peer is stamped).
    this.routes = routeDaddr.map((d, i) => ({ ptr: routePointer(i), daddr: daddrOf(d), peer: null, rtg: 0, gw: FIRST_GW, flags: 0, netG: 0 }));
  }

  get late(): boolean {
    return this.stage === 'S4' || this.stage === 'S5';
  }

  print(body: string): number {
    const line = this.nextLine;
    this.ts += 0.000011;
    this.out.push(`${`smpwl-${this.pid}`.padStart(16)} [${String(this.cpu).padStart(3, '0')}] ${this.ts.toFixed(6).padStart(12)}: ${body}`);
    return line;
  }

  /** inet_getpeer: an existing peer, or a new one when create (linked before the call returns). */
  getpeer(daddr: string, create: boolean, forceNew = false): string | null {
    const p = this.peers.get(daddr);
    if (p && !forceNew) return p;
    if (!create) {
      this.sawNone.add(daddr);
      return null;
    }
    const np = '0xffff88001e4' + (0x10000 + this.nextPeer++ * 0x40).toString(16).padStart(5, '0');
    this.peers.set(daddr, np);
    return np;
  }

  /**
   * check_peer_pmtu's entry probe (called with the route's peer: by a check's slow path, a cache
   * hit's revalidation, update_pmtu, a new route's rt_init_metrics): what the peer has learned.
   * The machine never lets time pass: a learned PMTU never expires (its expiry is a constant).
   */
  printCheckPmtu(r: Route, peer: string): void {
    const mtu = this.learned.get(peer);
    const red = this.redirects.get(peer);
    this.print(`check_pmtu: (check_peer_pmtu+0x0/0x120) dst=${bare(r.ptr)} peer=${bare(peer)} pmtu_learned=${hex(mtu ?? 0)} pmtu_orig=0 pmtu_expires=${mtu === undefined ? '0' : '10001265f'} redirect_learned=${red ? ipHex(red.gw) : '0'}`);
  }

  /**
   * The learned-redirect half of a revalidation (ipv4_dst_check's slow path, 3.2's
   * ipv4_validate_peer): S4 first forgets a redirect learned before the last flush
   * (redirect_genid); a learned gateway other than the route's is switched to by
   * check_peer_redir (its neighbour lookup taken to succeed: the route is marked RTCF_REDIRECTED).
   */
  applyRedirect(r: Route, peer: string): void {
    const red = this.redirects.get(peer);
    if (!red) return;
    if (this.stage === 'S4' && red.rgen !== this.redirectGenid) {
      this.redirects.delete(peer);
      return;
    }
    if (red.gw !== r.gw) {
      r.gw = red.gw;
      r.flags |= RTCF_REDIRECTED;
    }
  }
}


/**
 * rt_bind_peer's three interleavable steps where no fault is injected: the lookup's entry, its
 * return (printed at `retSite`, the caller gcc inlined it into), and `if (peer && cmpxchg(...) !=
 * NULL) inet_putpeer(peer); else stamp` (the loser of a cmpxchg puts its peer and does not stamp).
 * `when` guards each step (the caller's `if (!rt->peer)`); `stamped` runs after a stamp.
 */
export function bindPeerSteps(m: Machine, r: Route, create: 0 | 1, retSite: string, when: () => boolean = () => true, stamped: () => void = () => {}): Step[] {
  let found: string | null = null;
  return [
    () => {
      if (when()) m.print(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ipHex(r.daddr)} family=2 create=${create}`);
    },
    () => {
      if (!when()) return;
      found = m.getpeer(r.daddr, create === 1);
      m.print(`getpeer_ret: (${retSite} <- inet_getpeer) peer=${bare(found)}`);
    },
    () => {
      if (!when()) return;
      if (found !== null && r.peer !== null) return;
      if (found !== null) r.peer = found;
      r.rtg = m.G;
      stamped();
    },
  ];
}

