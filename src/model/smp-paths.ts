/**
 * The routing-cache SMP model's PMTU/redirect paths and the flush (smp.ts runs them), each as
 * atomic steps printing the Linux 3.0 probe lines (linux-3.0-seed map):
 * - ip_rt_update_pmtu(rt, mtu), every stage S2..S5: binds the route (rt_bind_peer create=1,
 *   inlined: its lookup names ip_rt_update_pmtu) when peerless; learns only a new or lower PMTU,
 *   then bumps and stamps THIS route with a separate read of the genid (a bump on another CPU in
 *   between is absorbed);
 * - ip_rt_redirect from the route's first gateway: S2/S3 look the destination's peer up
 *   (create=1), store the gateway and bump whenever a peer was got; S4/S5 walk the cached routes
 *   to the destination whose gateway is the sender (not expired), bind the peerless ones
 *   (create=1, inlined: the lookup names ip_rt_redirect, the else branch stamps), learn and bump
 *   only when the peer's redirect changes (S4: or was learned before the last flush), and switch
 *   each route's gateway (check_peer_redir, its neighbour taken to resolve);
 * - rt_cache_flush: its probe reads the genid at entry, then the namespace's rt_genid moves
 *   (routes made before expire: a later check of them returns NULL); S4 bumps redirect_genid; S5
 *   swaps the inetpeer tree out (routes keep their peers, a later lookup makes a new one). It never
 *   moves the peer genid.
 */
import { bare, bindPeerSteps, daddrOf, FIRST_GW, hex, ipHex, type Machine, RTCF_REDIRECTED, type Step, u32 } from './smp-machine.ts';

export type SmpPathCall =
  /** ip_rt_update_pmtu on route `rt` (tcp_v4_err on an ICMP frag-needed for a TCP socket). */
  | { kind: 'update'; rt: number; mtu: number }
  /** ip_rt_redirect for destination `daddr` from the first gateway, to 10.0.0.(3+gw). */
  | { kind: 'redirect'; daddr: number; gw: number }
  /** rt_cache_flush(net, -1): invalidate the cache. */
  | { kind: 'flush' }
  /**
   * The socket of route `rt` drops it once expired and looks a new one up: the old one is
   * destroyed (its last reference) and the new one is made at the same address (slab reuse).
   */
  | { kind: 'route'; rt: number };

export function updateSteps(m: Machine, call: { rt: number; mtu: number }): Step[] {
  const r = m.routes[call.rt]!;
  let need = false;
  let learns = false;
  let peer: string | null = null;
  return [
    () => {
      m.print(`update_pmtu: (ip_rt_update_pmtu+0x0/0x120) rt=${bare(r.ptr)} mtu=${hex(call.mtu)} peer=${bare(r.peer)} rt_pgenid=${hex(r.rtg)} g=${hex(m.G)}`);
    },
    () => {
      need = r.peer === null;
    },
    ...bindPeerSteps(m, r, 1, 'ip_rt_update_pmtu+0x3e/0x120', () => need),
    () => {
      // peer = rt->peer; if (!ACCESS_ONCE(peer->pmtu_expires) || mtu < peer->pmtu_learned)
      peer = r.peer;
      const had = peer === null ? undefined : m.learned.get(peer);
      learns = peer !== null && (had === undefined || call.mtu < had);
    },
    () => {
      if (learns) m.learned.set(peer!, call.mtu);
    },
    () => {
      if (learns) m.G = u32(m.G + 1);
    },
    () => {
      // rt->rt_peer_genid = rt_peer_genid(): a read of its own, after the bump.
      if (learns) r.rtg = m.G;
    },
    ...(m.probePmtu
      ? [
          () => {
            if (peer !== null) m.printCheckPmtu(r, peer);
          },
        ]
      : []),
    () => {
      m.print(`update_pmtu_ret: (tcp_v4_err+0x491/0x590 <- ip_rt_update_pmtu) g=${hex(m.G)}`);
    },
  ];
}

export function redirectSteps(m: Machine, call: { daddr: number; gw: number }): Step[] {
  const daddr = daddrOf(call.daddr);
  const newGw = `10.0.0.${3 + call.gw}`;
  const entry: Step = () => {
    m.print(`redirect: (ip_rt_redirect+0x0/0x1d0) old_gw=${ipHex(FIRST_GW)} daddr=${ipHex(daddr)} new_gw=${ipHex(newGw)} saddr=200000a g=${hex(m.G)}`);
  };
  const ret: Step = () => {
    m.print(`redirect_ret: (icmp_redirect+0xbe/0x140 <- ip_rt_redirect) g=${hex(m.G)}`);
  };
  if (!m.late) {
    let got: string | null = null;
    return [
      entry,
      () => {
        m.print(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ipHex(daddr)} family=2 create=1`);
      },
      () => {
        got = m.getpeer(daddr, true);
        m.print(`getpeer_ret: (ip_rt_redirect+0x1a1/0x1d0 <- inet_getpeer) peer=${bare(got)}`);
      },
      () => {
        if (got !== null) m.redirects.set(got, { gw: newGw, rgen: m.redirectGenid });
      },
      () => {
        // atomic_inc after inet_putpeer: every accepted redirect that got a peer.
        if (got !== null) m.G = u32(m.G + 1);
      },
      ret,
    ];
  }
  const steps: Step[] = [entry];
  for (const r of m.routes) {
    if (r.daddr !== daddr) continue;
    let match = false;
    let need = false;
    let peer: string | null = null;
    let changes = false;
    steps.push(
      () => {
        // rt_is_expired(rt) || rt->rt_gateway != old_gw: not this redirect's route.
        match = r.netG === m.netG && r.gw === FIRST_GW;
      },
      () => {
        need = match && r.peer === null;
      },
      ...bindPeerSteps(m, r, 1, 'ip_rt_redirect+0x1a1/0x1d0', () => need),
      () => {
        if (!match) return;
        peer = r.peer;
        const red = peer === null ? undefined : m.redirects.get(peer);
        changes = peer !== null && (red?.gw !== newGw || (m.stage === 'S4' && red.rgen !== m.redirectGenid));
      },
      () => {
        if (changes) m.redirects.set(peer!, { gw: newGw, rgen: m.redirectGenid });
      },
      () => {
        if (changes) m.G = u32(m.G + 1);
      },
      () => {
        // check_peer_redir(&rt->dst, peer): the gateway the peer holds now.
        const red = peer === null ? undefined : m.redirects.get(peer);
        if (!match || !red) return;
        r.gw = red.gw;
        r.flags |= RTCF_REDIRECTED;
      },
    );
  }
  steps.push(ret);
  return steps;
}

/**
 * ipv4_dst_destroy of an expired route no other call holds (nor a redirect walk, under RCU,
 * sees), then the output lookup's new route at the same address: rt_init_metrics (inlined in
 * rt_set_nexthop) looks its peer up (create=0), stamps the genid only with a peer and takes the
 * peer's learned redirect as its gateway. One step: the new route is not in the cache (nobody
 * else can reach it) until it is made.
 */
export function routeSteps(m: Machine, call: { rt: number }): Step[] {
  const r = m.routes[call.rt]!;
  return [
    () => {
      if (r.netG === m.netG || (m.inUse.get(call.rt) ?? 0) > 1 || m.walks > 0) return;
      m.print(`dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${bare(r.ptr)} peer=${bare(r.peer)} dst=${ipHex(r.daddr)}`);
      m.print(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ipHex(r.daddr)} family=2 create=0`);
      const peer = m.getpeer(r.daddr, false);
      m.print(`getpeer_ret: (rt_set_nexthop.constprop.0+0x5f/0x1f0 <- inet_getpeer) peer=${bare(peer)}`);
      r.peer = peer;
      r.rtg = peer === null ? 0 : m.G;
      r.gw = FIRST_GW;
      r.flags = 0;
      r.netG = m.netG;
      if (peer !== null) {
        if (m.probePmtu) m.printCheckPmtu(r, peer);
        m.applyRedirect(r, peer);
      }
    },
  ];
}

export function flushSteps(m: Machine): Step[] {
  return [
    () => {
      m.print(`cache_flush: (rt_cache_flush+0x0/0x60) delay=-1 g=${hex(m.G)}`);
    },
    () => {
      // atomic_add(shuffle + 1, &net->ipv4.rt_genid): never back to a value a route holds here.
      m.netG = u32(m.netG + 1 + ((m.netG * 37) % 256));
    },
    () => {
      if (m.stage === 'S4') m.redirectGenid++;
      // inetpeer_invalidate_tree(AF_INET): later lookups start from an empty tree.
      if (m.stage === 'S5') m.peers.clear();
    },
  ];
}
