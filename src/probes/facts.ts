/**
 * The protocol facts per era that the probe generator turns into probes: which functions read,
 * stamp, compare or bump the genids (the stages in src/model/README.md), what to fetch at each,
 * and what each probe hit means as
 * a canonical event (the probe-map rules). Nothing here names an offset or a register: those
 * come from the kernel's BTF/DWARF at generation time.
 *
 * Event and field names follow the real captures in traces/ (rtg/ probes on 6.1, the 3.0.1
 * kprobes), so traces captured with generated probes and the existing captures read alike.
 */
import type { Era } from '../model/types.ts';
import type { ConditionSpec, EmitSpec, MappableField, Radix } from '../trace/probemap.ts';
import type { ValueAs } from './expr.ts';

export interface PlanField {
  /** Name in the trace line (`rt_genid=`). */
  name: string;
  /** Expression (src/probes/expr.ts); alternatives are tried in order (struct layouts differ across versions). */
  expr: string | string[];
  as: ValueAs;
}

export interface PlanProbe {
  event: string;
  /** The function (base name; a clone like `.constprop.0` is resolved from the guest's kallsyms). */
  fn: string;
  at: 'entry' | 'return';
  /** Prepend every parameter that fits a register (pointers as hex, ints decimal), by its own name. */
  allParams?: boolean;
  fields: PlanField[];
  /** Only when the kernel takes BTF-style probes (return probes reading arguments). */
  needsSyntax?: 'btf';
  /** Not generated unless asked for (`extra`): noisy. */
  noisy?: boolean;
  /** A companion of another entry probe at the same function (its fields would make that line too long): never paired with the function's return. */
  alongside?: boolean;
  why: string;
  /** Probe-map rules for this probe (field sources are this probe's field names, `entry.X`, `context.P.X`). */
  rules?: { caller?: string[]; when?: ConditionSpec[]; emit: EmitSpec[]; note?: string }[];
}

/** A function the protocol cares about, whether or not it can be probed. */
export interface WantedFunction {
  name: string;
  /** check / compare / stamp / bump / learn / lookup / create / flush / free / context */
  role: string;
  /** Where it is observed when the kernel inlined it (documented callers whose probes see its effect). */
  via?: string[];
  /** What the callers' probes show of it. */
  how?: string;
}

export interface EraFacts {
  /** The eras this plan serves. */
  eras: readonly Era[];
  title: string;
  wanted: WantedFunction[];
  probes: PlanProbe[];
  /** Entry probes whose return probes pair with them; computed from probes, plus extra `within`. */
  within?: Record<string, string[]>;
  /** Trace numbers: 'hex' for kernels that print unsigned values in hex without 0x (3.x). */
  radix?: Radix;
  notes: string[];
}

const f = (name: string, expr: string | string[], as: ValueAs = 'int'): PlanField => ({ name, expr, as });
const fields = (m: Record<string, string>): Partial<Record<MappableField, string>> => m as Partial<Record<MappableField, string>>;

// ---------------------------------------------------------------------------------------------
// Modern era (3.6+, fnhe): per-namespace rt_genid and fnhe_genid, next-hop exceptions.

/** The route's fields as seen through a `struct rtable *` expression `r` (a dst_entry at offset 0). */
function routeFields(r: string, asRtable: boolean): PlanField[] {
  const rt = asRtable ? r : `${r}<rtable>`;
  const dst = asRtable ? `${r}->dst.` : `${r}->`;
  // dev->nd_net is possible_net_t { struct net *net } since 4.x, a plain `struct net *` before.
  const netGenid = [`${dst}dev->nd_net.net->ipv4.rt_genid.counter`, `${dst}dev->nd_net<net>->ipv4.rt_genid.counter`];
  return [
    f('rt_genid', `${rt}->rt_genid`),
    f('obsolete', `${dst}obsolete`),
    f('pmtu', `${rt}->rt_pmtu`),
    f('gw', [`${rt}->rt_gw4`, `${rt}->rt_gateway`], 'ipv4'),
    f('net_rt_genid', netGenid),
  ];
}

const ROUTE_FIELDS_TO = fields({ rtGenid: 'rt_genid', obsolete: 'obsolete', rtMtu: 'pmtu', rtGateway: 'gw', genid: 'net_rt_genid' });

export const FNHE_FACTS: EraFacts = {
  eras: ['fnhe'],
  title: 'next-hop exceptions (3.6+): per-namespace rt_genid / fnhe_genid, DST_OBSOLETE_KILL',
  radix: 'auto',
  wanted: [
    { name: 'ipv4_dst_check', role: 'check' },
    { name: 'rt_is_expired', role: 'compare', via: ['ipv4_dst_check'], how: 'dst_check entry shows rt_genid and the namespace rt_genid it is compared with; dst_check_ret the verdict' },
    { name: 'rt_cache_valid', role: 'compare', via: ['ip_route_output_key_hash_rcu', 'find_exception'], how: 'a cached route that is not reused shows as a new rt_dst_alloc in the same lookup' },
    { name: 'rt_bind_exception', role: 'stamp', via: ['find_exception', 'rt_dst_alloc', 'ip_route_output_key_hash_rcu'], how: 'find_exception return gives the exception (genid, pmtu, gw); the lookup return gives the route that took them' },
    { name: 'fill_route_from_fnhe', role: 'stamp', via: ['ip_route_output_key_hash_rcu'], how: 'the lookup return shows the route with the exception\'s pmtu/gw' },
    { name: 'find_exception', role: 'lookup' },
    { name: 'update_or_create_fnhe', role: 'learn' },
    { name: 'fnhe_flush_routes', role: 'stamp', via: ['update_or_create_fnhe'], how: 'routes of a recycled exception are killed: seen as obsolete=-2 at their next dst_check' },
    { name: '__ip_rt_update_pmtu', role: 'learn' },
    { name: 'ip_rt_update_pmtu', role: 'learn' },
    { name: '__ip_do_redirect', role: 'learn' },
    { name: 'ip_do_redirect', role: 'context' },
    { name: 'rt_dst_alloc', role: 'create' },
    { name: 'ip_route_output_key_hash_rcu', role: 'create' },
    { name: '__mkroute_output', role: 'create', via: ['ip_route_output_key_hash_rcu'], how: 'the lookup entry (daddr) and return (the route)' },
    { name: 'ip_route_output_slow', role: 'create', via: ['ip_route_output_key_hash_rcu'], how: 'the lookup entry and return' },
    { name: 'rt_cache_route', role: 'create' },
    { name: 'rt_set_nexthop', role: 'create' },
    { name: 'rt_cache_flush', role: 'bump' },
    { name: 'rt_genid_bump_ipv4', role: 'bump', via: ['rt_cache_flush', 'ipv4_sysctl_rtcache_flush'], how: 'rt_cache_flush entry shows net_rt_genid before the bump; the sysctl flush has its own inlined copy' },
    { name: 'ipv4_sysctl_rtcache_flush', role: 'bump' },
    { name: 'fnhe_genid_bump', role: 'bump', via: ['ipv4_sysctl_rtcache_flush'], how: 'sysctl_flush entry shows net_fnhe_genid before the bump' },
    { name: 'sk_dst_check', role: 'context' },
    { name: '__sk_dst_check', role: 'context' },
    { name: 'ipv4_update_pmtu', role: 'context' },
    { name: 'ipv4_redirect', role: 'context' },
    { name: 'ipv4_sk_update_pmtu', role: 'context' },
    { name: 'ipv4_sk_redirect', role: 'context' },
    { name: 'icmp_unreach', role: 'context' },
    { name: 'icmp_redirect', role: 'context' },
    { name: 'inet_getpeer', role: 'context' },
    { name: 'fib_sync_mtu', role: 'learn' },
    { name: 'fib_nhc_update_mtu', role: 'learn' },
    { name: 'rt_flush_dev', role: 'free' },
    { name: 'dst_release', role: 'free' },
  ],
  probes: [
    {
      event: 'dst_check', fn: 'ipv4_dst_check', at: 'entry', why: 'a socket revalidates its cached route: obsolete and rt_genid vs the namespace genid',
      fields: [f('dst', 'dst', 'pointer'), f('cookie', 'cookie'), ...routeFields('dst', false)],
      rules: [{ emit: [{ kind: 'check', fields: { rt: 'dst', ...ROUTE_FIELDS_TO } }] }],
    },
    {
      event: 'dst_check_ret', fn: 'ipv4_dst_check', at: 'return', why: 'the verdict: the dst or NULL',
      fields: [f('ret', '$retval', 'pointer')],
      rules: [
        { caller: ['?'], emit: [], note: "a second return probe on the function makes one print [unknown/kretprobe'd]" },
        { caller: ['*'], emit: [{ kind: 'check_ret', fields: fields({ rt: 'entry.dst', ret: 'ret', rtGenid: 'entry.rt_genid', genid: 'entry.net_rt_genid' }) }] },
        { emit: [{ kind: 'check_ret', fields: fields({ rt: 'entry.dst', ret: 'ret', rtGenid: 'entry.rt_genid', genid: 'entry.net_rt_genid' }) }] },
      ],
    },
    {
      event: 'sk_dst_check', fn: 'sk_dst_check', at: 'entry', why: 'which socket checks which dst',
      fields: [f('sk', 'sk', 'pointer'), f('dst', 'sk->sk_dst_cache', 'pointer')], rules: [{ emit: [] }],
    },
    { event: 'sk_dst_check_ret', fn: 'sk_dst_check', at: 'return', why: 'the socket keeps or drops its dst', fields: [f('ret', '$retval', 'pointer')], rules: [{ emit: [] }] },
    {
      event: '__sk_dst_check', fn: '__sk_dst_check', at: 'entry', why: 'the lockless socket check (TCP)',
      fields: [f('sk', 'sk', 'pointer'), f('dst', 'sk->sk_dst_cache', 'pointer')], rules: [{ emit: [] }],
    },
    {
      event: 'ip_rt_update_pmtu', fn: 'ip_rt_update_pmtu', at: 'entry', why: 'dst_ops->update_pmtu: a PMTU for a socket\'s dst', allParams: true,
      fields: routeFields('dst', false), rules: [{ emit: [] }],
    },
    {
      event: '__ip_rt_update_pmtu', fn: '__ip_rt_update_pmtu', at: 'entry', why: 'learn a PMTU: creates/updates the exception, kills the route',
      fields: [f('rt', 'rt', 'pointer'), f('daddr', 'fl4->daddr', 'ipv4'), f('mtu', 'mtu'), ...routeFields('rt', true)],
      rules: [{ emit: [{ kind: 'pmtu', fields: fields({ rt: 'rt', daddr: 'daddr', mtu: 'mtu', ...ROUTE_FIELDS_TO }) }] }],
    },
    {
      event: '__ip_rt_update_pmtu_ret', fn: '__ip_rt_update_pmtu', at: 'return', needsSyntax: 'btf', why: 'the route after learning (its pmtu, obsolete)',
      fields: [f('rt', 'rt', 'pointer'), f('pmtu', 'rt->rt_pmtu'), f('obsolete', 'rt->dst.obsolete')],
      rules: [{ emit: [] }],
    },
    {
      event: 'update_or_create_fnhe', fn: 'update_or_create_fnhe', at: 'entry', why: 'an exception created or updated, stamped with the namespace fnhe_genid',
      fields: [
        f('nhc', ['nhc', 'nh'], 'pointer'), f('daddr', 'daddr', 'ipv4'), f('gw', 'gw', 'ipv4'), f('pmtu', 'pmtu'), f('lock', 'lock'), f('expires', 'expires'),
        f('net_fnhe_genid', ['nhc->nhc_dev->nd_net.net->fnhe_genid.counter', 'nh->nh_dev->nd_net.net->fnhe_genid.counter']),
      ],
      rules: [{ emit: [{ kind: 'fnhe', fields: fields({ daddr: 'daddr', gateway: 'gw', mtu: 'pmtu', fnheGenid: 'net_fnhe_genid' }) }] }],
    },
    {
      event: 'find_exception_ret', fn: 'find_exception', at: 'return', why: 'the exception a lookup found: its genid, pmtu, gateway (rt_bind_exception is inlined)',
      fields: [
        f('fnhe', '$retval', 'pointer'), f('fnhe_daddr', '$retval->fnhe_daddr', 'ipv4'), f('fnhe_genid', '$retval->fnhe_genid'),
        f('fnhe_pmtu', '$retval->fnhe_pmtu'), f('fnhe_gw', '$retval->fnhe_gw', 'ipv4'),
      ],
      rules: [
        {
          when: [{ value: 'fnhe', op: 'nonzero' }, { value: 'fnhe', op: 'noterrptr' }],
          emit: [{ kind: 'fnhe', fields: fields({ fnhe: 'fnhe', daddr: 'fnhe_daddr', exceptionGenid: 'fnhe_genid', mtu: 'fnhe_pmtu', gateway: 'fnhe_gw', net: 'context.out_key_hash_rcu.net' }) }],
        },
      ],
    },
    {
      event: 'sysctl_flush', fn: 'ipv4_sysctl_rtcache_flush', at: 'entry', why: 'echo 1 > /proc/sys/net/ipv4/route/flush: bumps rt_genid and fnhe_genid (inlined flush)',
      fields: [
        f('write', 'write'), f('net', '__ctl->extra1', 'pointer'),
        f('net_rt_genid', '__ctl->extra1<net>->ipv4.rt_genid.counter'), f('net_fnhe_genid', '__ctl->extra1<net>->fnhe_genid.counter'),
      ],
      rules: [
        { when: [{ value: 'write', op: 'nonzero' }], note: 'entry probe: genids before the bump', emit: [{ kind: 'flush', set: { counter: 'rt' }, fields: fields({ net: 'net', genid: 'net_rt_genid', fnheGenid: 'net_fnhe_genid' }) }] },
        { emit: [] },
      ],
    },
    {
      event: 'rt_cache_route', fn: 'rt_cache_route', at: 'entry', why: 'a new route cached on its next hop',
      fields: [f('nhc', ['nhc', 'nh'], 'pointer'), f('rt', 'rt', 'pointer'), ...routeFields('rt', true)], rules: [{ emit: [] }],
    },
    {
      event: '__ip_do_redirect', fn: '__ip_do_redirect', at: 'entry', why: 'learn a redirect: a gateway exception',
      fields: [f('rt', 'rt', 'pointer'), f('skb', 'skb', 'pointer'), f('daddr', 'fl4->daddr', 'ipv4'), f('kill_route', 'kill_route'), ...routeFields('rt', true)],
      rules: [{ emit: [{ kind: 'redirect', fields: fields({ rt: 'rt', daddr: 'daddr', ...ROUTE_FIELDS_TO }) }] }],
    },
    { event: 'ip_do_redirect', fn: 'ip_do_redirect', at: 'entry', allParams: true, fields: [], why: 'dst_ops->redirect', rules: [{ emit: [] }] },
    { event: 'ipv4_update_pmtu', fn: 'ipv4_update_pmtu', at: 'entry', allParams: true, fields: [], why: 'ICMP frag-needed for a raw/unconnected path', rules: [{ emit: [] }] },
    { event: 'ipv4_redirect', fn: 'ipv4_redirect', at: 'entry', allParams: true, fields: [], why: 'ICMP redirect, no socket', rules: [{ emit: [] }] },
    {
      event: 'ipv4_sk_update_pmtu', fn: 'ipv4_sk_update_pmtu', at: 'entry', allParams: true, fields: [f('sk_dst', 'sk->sk_dst_cache', 'pointer')],
      why: 'ICMP frag-needed for a socket', rules: [{ emit: [] }],
    },
    {
      event: 'ipv4_sk_redirect', fn: 'ipv4_sk_redirect', at: 'entry', allParams: true, fields: [f('sk_dst', 'sk->sk_dst_cache', 'pointer')],
      why: 'ICMP redirect for a socket', rules: [{ emit: [] }],
    },
    {
      event: 'rt_cache_flush', fn: 'rt_cache_flush', at: 'entry', why: 'a namespace flush: rt_genid bump (entry: value before)',
      fields: [f('net', 'net', 'pointer'), f('net_rt_genid', 'net->ipv4.rt_genid.counter'), f('net_fnhe_genid', 'net->fnhe_genid.counter')],
      rules: [{ note: 'entry probe: net_rt_genid is the value BEFORE the bump', emit: [{ kind: 'flush', set: { counter: 'rt' }, fields: fields({ net: 'net', genid: 'net_rt_genid', fnheGenid: 'net_fnhe_genid' }) }] }],
    },
    {
      event: 'inet_getpeer', fn: 'inet_getpeer', at: 'entry', why: 'inetpeer lookups (ICMP rate limiting in this era)',
      fields: [f('base', 'base', 'pointer'), f('daddr', ['daddr->a4.addr', 'daddr->addr.a4'], 'ipv4')], rules: [{ emit: [] }],
    },
    {
      event: 'dst_release', fn: 'dst_release', at: 'entry', noisy: true, why: 'every dst reference drop (noisy: a quarter of all events)',
      fields: [f('dst', 'dst', 'pointer'), f('ref', ['dst->__rcuref.refcnt.counter', 'dst->__refcnt.counter']), f('obsolete', 'dst->obsolete')], rules: [{ emit: [] }],
    },
    {
      event: 'rt_dst_alloc_ret', fn: 'rt_dst_alloc', at: 'return', why: 'a new route, stamped with the namespace rt_genid',
      fields: [f('rt', '$retval', 'pointer'), ...routeFields('$retval', true)],
      rules: [
        {
          when: [{ value: 'rt', op: 'noterrptr' }, { value: 'rt', op: 'nonzero' }],
          emit: [{ kind: 'route', fields: fields({ rt: 'rt', daddr: 'context.out_key_hash_rcu.daddr', net: 'context.out_key_hash_rcu.net', ...ROUTE_FIELDS_TO }) }],
        },
      ],
    },
    {
      event: 'out_key_hash_rcu', fn: 'ip_route_output_key_hash_rcu', at: 'entry', why: 'an output route lookup (__mkroute_output, ip_route_output_slow are inlined)',
      fields: [f('net', 'net', 'pointer'), f('daddr', 'fl4->daddr', 'ipv4')], rules: [{ emit: [] }],
    },
    {
      event: 'out_key_hash_rcu_ret', fn: 'ip_route_output_key_hash_rcu', at: 'return', why: 'the route the lookup returned (cached, new, or with an exception applied)',
      fields: [f('rt', '$retval', 'pointer'), ...routeFields('$retval', true)], rules: [{ emit: [] }],
    },
    { event: 'icmp_unreach', fn: 'icmp_unreach', at: 'entry', fields: [f('skb', 'skb', 'pointer')], why: 'ICMP destination unreachable received', rules: [{ emit: [] }] },
    { event: 'icmp_redirect', fn: 'icmp_redirect', at: 'entry', fields: [f('skb', 'skb', 'pointer')], why: 'ICMP redirect received', rules: [{ emit: [] }] },
    { event: 'rt_set_nexthop', fn: 'rt_set_nexthop', at: 'entry', fields: [], why: 'a route takes its next hop (a compiler clone: no prototype)', rules: [{ emit: [] }] },
    {
      event: 'fib_sync_mtu', fn: 'fib_sync_mtu', at: 'entry', why: 'a device MTU change rewrites exceptions in place',
      fields: [f('dev', 'dev', 'pointer'), f('orig_mtu', 'orig_mtu'), f('mtu', 'dev->mtu'), f('net_rt_genid', ['dev->nd_net.net->ipv4.rt_genid.counter', 'dev->nd_net<net>->ipv4.rt_genid.counter'])],
      rules: [{ emit: [] }],
    },
    {
      event: 'fib_nhc_update_mtu', fn: 'fib_nhc_update_mtu', at: 'entry', allParams: true, fields: [], why: 'the same per next hop (nexthop objects)', rules: [{ emit: [] }],
    },
    { event: 'rt_flush_dev', fn: 'rt_flush_dev', at: 'entry', allParams: true, fields: [], why: 'device unregistration moves cached routes off the device', rules: [{ emit: [] }] },
  ],
  notes: [
    'rt_cache_flush is a symbol, but the sysctl flush has its own inlined copy: /proc/sys/net/ipv4/route/flush fires only sysctl_flush',
    'one return probe per function: a second kretprobe makes one of them print its caller as [unknown/kretprobe\'d]',
    'dst_release is left out (about a quarter of all events, many with dst=0x0); --extra dst_release adds it',
  ],
};

// ---------------------------------------------------------------------------------------------
// Seed era (2.6.39 .. 3.5): global __rt_peer_genid, rt->rt_peer_genid, inetpeer PMTU/redirect.

const G = f('g', '@__rt_peer_genid');

export const SEED_FACTS: EraFacts = {
  eras: ['seed', 'pmtu-redirect', 'pre-genid'],
  title: 'route cache + inetpeer (2.6.39-3.5): global __rt_peer_genid, rt->rt_peer_genid',
  radix: 'hex',
  wanted: [
    { name: 'ipv4_dst_check', role: 'check' },
    { name: 'rt_bind_peer', role: 'stamp' },
    { name: 'rt_peer_genid', role: 'compare', via: ['ipv4_dst_check', 'rt_bind_peer'], how: 'the g field (@__rt_peer_genid) on every probe' },
    { name: 'ipv4_validate_peer', role: 'compare', via: ['ipv4_dst_check'], how: 'dst_check entry/return show the stamp before and after (3.2+)' },
    { name: 'rt_init_metrics', role: 'stamp', via: ['inet_getpeer'], how: 'getpeer_ret with caller rt_set_nexthop: a new route taking an existing peer' },
    { name: 'inet_getpeer', role: 'lookup' },
    { name: 'ip_rt_frag_needed', role: 'bump' },
    { name: 'ip_rt_update_pmtu', role: 'bump' },
    { name: 'ip_rt_redirect', role: 'bump' },
    { name: 'check_peer_pmtu', role: 'learn' },
    { name: 'rt_cache_flush', role: 'flush' },
    { name: 'ipv4_sysctl_rtcache_flush', role: 'flush' },
    { name: 'ipv4_dst_destroy', role: 'free' },
  ],
  probes: [
    {
      event: 'bind', fn: 'rt_bind_peer', at: 'entry', why: 'a route binds its inetpeer and is stamped with the genid',
      // rt_bind_peer(rt, create) until 2.6.39, (rt, daddr, create) from 3.0: daddr is rt->rt_dst either way.
      fields: [f('rt', 'rt', 'pointer'), f('daddr', ['daddr', 'rt->rt_dst', 'rt->rt_key_dst'], 'ipv4'), f('create', 'create'), f('peer', 'rt->peer', 'pointer'), f('rt_pgenid', 'rt->rt_peer_genid'), G],
      rules: [{ emit: [{ kind: 'bind', fields: { ...fields({ rt: 'rt', daddr: 'daddr', peer: 'peer', rtGenid: 'rt_pgenid', genid: 'g' }), create: { from: 'create', radix: 'dec' } } }] }],
    },
    {
      event: 'bind_ret', fn: 'rt_bind_peer', at: 'return', why: 'the genid after the bind',
      fields: [G],
      rules: [{ emit: [{ kind: 'bind_ret', fields: { ...fields({ rt: 'entry.rt', daddr: 'entry.daddr', peerBefore: 'entry.peer', genid: 'g' }), create: { from: 'entry.create', radix: 'dec' } } }] }],
    },
    {
      event: 'dst_check', fn: 'ipv4_dst_check', at: 'entry', why: 'a socket revalidates its cached route against the global genid',
      fields: [
        f('rt', 'dst', 'pointer'), f('peer', 'dst<rtable>->peer', 'pointer'), f('rt_pgenid', 'dst<rtable>->rt_peer_genid'), G,
        f('dst', ['dst<rtable>->rt_dst', 'dst<rtable>->rt_key_dst'], 'ipv4'), f('gw', 'dst<rtable>->rt_gateway', 'ipv4'), f('flags', 'dst<rtable>->rt_flags', 'hex'),
        f('obsolete', 'dst->obsolete'),
      ],
      rules: [{ emit: [{ kind: 'check', fields: { ...fields({ rt: 'rt', peer: 'peer', rtGenid: 'rt_pgenid', genid: 'g', daddr: 'dst', rtGateway: 'gw', flags: 'flags' }), obsolete: { from: 'obsolete', radix: 'dec' } } }] }],
    },
    {
      event: 'dst_check_ret', fn: 'ipv4_dst_check', at: 'return', why: 'the verdict and the route after the check',
      fields: [
        f('ret', '$retval', 'pointer'), f('peer', '$retval<rtable>->peer', 'pointer'), f('rt_pgenid', '$retval<rtable>->rt_peer_genid'), G,
        f('gw', '$retval<rtable>->rt_gateway', 'ipv4'), f('flags', '$retval<rtable>->rt_flags', 'hex'),
        // The route's MTU after the check (what check_peer_pmtu left): the raw metrics word, the
        // MTU slot read from it (metrics.ts derives mtu_k / mtu_k1), and the device MTU a raw 0 means.
        f('metrics', '$retval->_metrics', 'hex'), f('dev_mtu', '$retval->dev->mtu'),
      ],
      rules: [{
        emit: [{
          kind: 'check_ret',
          fields: {
            ...fields({ rt: 'entry.rt', daddr: 'entry.dst', peerBefore: 'entry.peer', ret: 'ret', peer: 'peer', rtGenid: 'rt_pgenid', genid: 'g', rtGateway: 'gw', flags: 'flags' }),
            ...fields({ metrics: 'metrics', mtuMetric: 'mtu_k', mtuMetricRo: 'mtu_k1', devMtu: 'dev_mtu' }),
            obsolete: { from: 'entry.obsolete', radix: 'dec' },
          },
        }],
      }],
    },
    {
      event: 'dst_check_mtu', fn: 'ipv4_dst_check', at: 'entry', alongside: true,
      why: 'the route\'s MTU at the check (a short companion of dst_check: the seed commit\'s kernel takes definitions of at most 127 bytes)',
      fields: [f('rt', 'dst', 'pointer'), f('metrics', 'dst->_metrics', 'hex'), f('dev_mtu', 'dst->dev->mtu')],
      rules: [{ emit: [{ kind: 'route_mtu', fields: fields({ rt: 'rt', metrics: 'metrics', mtuMetric: 'mtu_k', mtuMetricRo: 'mtu_k1', devMtu: 'dev_mtu' }) }] }],
    },
    {
      event: 'getpeer', fn: 'inet_getpeer', at: 'entry', why: 'peer lookups; rt_bind_peer is inlined in route.c, so binds show here with their caller',
      fields: [f('daddr', ['daddr->addr.a4', 'daddr->a4.addr', 'daddr->a4'], 'ipv4'), f('family', 'daddr->family'), f('create', 'create')],
      rules: [{ emit: [] }],
    },
    {
      event: 'getpeer_ret', fn: 'inet_getpeer', at: 'return', why: 'the peer found or created; the caller says which inlined bind it was',
      fields: [f('peer', '$retval', 'pointer')],
      rules: [
        {
          caller: ['ipv4_dst_check'], note: "rt_bind_peer(rt, 0) inlined in ipv4_dst_check: the check's lookup-only bind",
          emit: [
            { kind: 'bind', at: 'entry', set: { create: 0 }, fields: { ...fields({ rt: 'context.dst_check.rt', daddr: 'entry.daddr', peer: 'context.dst_check.peer', rtGenid: 'context.dst_check.rt_pgenid', genid: 'context.dst_check.g' }), create: { from: 'entry.create', radix: 'dec' } } },
            { kind: 'bind_ret', fields: { ...fields({ rt: 'context.dst_check.rt', daddr: 'entry.daddr', peerBefore: 'context.dst_check.peer', peer: 'peer' }), create: { from: 'entry.create', radix: 'dec' } } },
          ],
        },
        {
          caller: ['__ip_select_ident'], note: 'rt_bind_peer(rt, 1) inlined in __ip_select_ident',
          emit: [
            { kind: 'bind', at: 'entry', set: { create: 1 }, fields: { ...fields({ daddr: 'entry.daddr' }), create: { from: 'entry.create', radix: 'dec' } } },
            { kind: 'bind_ret', fields: { ...fields({ daddr: 'entry.daddr', peer: 'peer' }), create: { from: 'entry.create', radix: 'dec' } } },
          ],
        },
        {
          caller: ['rt_set_nexthop', 'rt_init_metrics'], note: 'rt_init_metrics: a new route taking the destination\'s existing peer',
          emit: [{ kind: 'route', fields: { ...fields({ daddr: 'entry.daddr', peer: 'peer' }), create: { from: 'entry.create', radix: 'dec' } } }],
        },
        {
          caller: ['ip_rt_frag_needed', 'ip_rt_redirect', 'ip_rt_update_pmtu', 'check_peer_pmtu'], note: 'a PMTU/redirect path creating or finding the peer before bumping',
          emit: [{ kind: 'peer_new', fields: { ...fields({ daddr: 'entry.daddr', peer: 'peer' }), create: { from: 'entry.create', radix: 'dec' } } }],
        },
        { caller: ['rt_bind_peer'], note: 'the out-of-line rt_bind_peer reports itself', emit: [] },
        { emit: [] },
      ],
    },
    {
      event: 'frag_needed', fn: 'ip_rt_frag_needed', at: 'entry', why: 'ICMP frag-needed: learns a PMTU in the peer and bumps the genid',
      fields: [f('daddr', 'iph->daddr', 'ipv4'), f('tot_len', 'iph->tot_len'), f('new_mtu', 'new_mtu'), G, f('min_pmtu', '@ip_rt_min_pmtu')],
      rules: [{ emit: [] }],
    },
    {
      event: 'frag_needed_ret', fn: 'ip_rt_frag_needed', at: 'return', why: 'the MTU learned and the genid after',
      fields: [f('ret', '$retval'), G],
      rules: [{
        emit: [
          { kind: 'pmtu', at: 'entry', fields: fields({ daddr: 'entry.daddr', mtu: 'ret', genid: 'entry.g', icmpMtu: 'entry.new_mtu', minPmtu: 'entry.min_pmtu' }) },
          { kind: 'genid_bump', set: { counter: 'peer' }, fields: fields({ daddr: 'entry.daddr', old: 'entry.g', new: 'g', genid: 'g' }) },
        ],
      }],
    },
    {
      event: 'update_pmtu', fn: 'ip_rt_update_pmtu', at: 'entry', why: 'dst_ops->update_pmtu: learns a PMTU (bumps only when new)',
      fields: [f('rt', 'dst', 'pointer'), f('mtu', 'mtu'), f('peer', 'dst<rtable>->peer', 'pointer'), f('rt_pgenid', 'dst<rtable>->rt_peer_genid'), G, f('min_pmtu', '@ip_rt_min_pmtu')],
      rules: [{ emit: [{ kind: 'pmtu', fields: fields({ rt: 'rt', mtu: 'mtu', peer: 'peer', rtGenid: 'rt_pgenid', genid: 'g', minPmtu: 'min_pmtu' }) }] }],
    },
    {
      event: 'update_pmtu_ret', fn: 'ip_rt_update_pmtu', at: 'return', why: 'the genid after', fields: [G],
      rules: [{ emit: [{ kind: 'genid_bump', set: { counter: 'peer' }, fields: fields({ rt: 'entry.rt', old: 'entry.g', new: 'g', genid: 'g' }) }] }],
    },
    {
      event: 'redirect', fn: 'ip_rt_redirect', at: 'entry', why: 'ICMP redirect: learns a gateway in the peer and bumps',
      fields: [f('old_gw', 'old_gw', 'ipv4'), f('daddr', 'daddr', 'ipv4'), f('new_gw', 'new_gw', 'ipv4'), f('saddr', 'saddr', 'ipv4'), G],
      rules: [{ emit: [{ kind: 'redirect', fields: fields({ daddr: 'daddr', gateway: 'new_gw', oldGateway: 'old_gw', genid: 'g' }) }] }],
    },
    {
      event: 'redirect_ret', fn: 'ip_rt_redirect', at: 'return', why: 'the genid after', fields: [G],
      rules: [{ emit: [{ kind: 'genid_bump', set: { counter: 'peer' }, fields: fields({ daddr: 'entry.daddr', old: 'entry.g', new: 'g', genid: 'g' }) }] }],
    },
    {
      event: 'check_pmtu', fn: 'check_peer_pmtu', at: 'entry', why: 'a check applying (or expiring) the peer\'s learned PMTU',
      fields: [f('dst', 'dst', 'pointer'), f('peer', 'peer', 'pointer'), f('pmtu_learned', 'peer->pmtu_learned'), f('pmtu_orig', 'peer->pmtu_orig'), f('pmtu_expires', 'peer->pmtu_expires'),
        f('redirect_learned', ['peer->redirect_learned.a4', 'peer->redirect_learned'], 'ipv4'),
        // jiffies: x86_64 2.6.39 .. 3.x keep it in the vsyscall page (`jiffies` is an absolute
        // alias that a kprobe reads as 0 there; `__jiffies` is the readable copy). The guest's
        // kallsyms check drops whichever symbol it lacks; the map prefers __jiffies.
        f('jiffies_vvar', '@__jiffies'), f('jiffies', '@jiffies')],
      rules: [
        {
          when: [{ value: 'jiffies_vvar', op: 'present' }],
          emit: [{
            kind: 'peer_pmtu',
            fields: fields({ rt: 'dst', peer: 'peer', pmtuLearned: 'pmtu_learned', pmtuOrig: 'pmtu_orig', pmtuExpires: 'pmtu_expires', redirectLearned: 'redirect_learned', now: 'jiffies_vvar' }),
          }],
        },
        {
          emit: [{
            kind: 'peer_pmtu',
            fields: fields({ rt: 'dst', peer: 'peer', pmtuLearned: 'pmtu_learned', pmtuOrig: 'pmtu_orig', pmtuExpires: 'pmtu_expires', redirectLearned: 'redirect_learned', now: 'jiffies' }),
          }],
        },
      ],
    },
    {
      event: 'cache_flush', fn: 'rt_cache_flush', at: 'entry', why: 'a route cache flush (never moves the peer genid)',
      fields: [f('delay', 'delay'), G], rules: [{ emit: [{ kind: 'flush', fields: fields({ genid: 'g' }) }] }],
    },
    {
      event: 'sysctl_flush', fn: 'ipv4_sysctl_rtcache_flush', at: 'entry',
      why: 'echo 1 > /proc/sys/net/ipv4/route/flush: gcc inlines rt_cache_flush into this handler (2.6.39 builds do), so cache_flush does not fire',
      fields: [f('write', 'write'), G],
      rules: [{ when: [{ value: 'write', op: 'nonzero' }], emit: [{ kind: 'flush', fields: fields({ genid: 'g' }) }] }, { emit: [] }],
    },
    {
      event: 'dst_destroy', fn: 'ipv4_dst_destroy', at: 'entry', why: 'a route freed (its pointer may be reused)',
      fields: [f('rt', 'dst', 'pointer'), f('peer', 'dst<rtable>->peer', 'pointer'), f('dst', ['dst<rtable>->rt_dst', 'dst<rtable>->rt_key_dst'], 'ipv4')],
      rules: [{ emit: [{ kind: 'route_free', fields: fields({ rt: 'rt', peer: 'peer', daddr: 'dst' }) }] }],
    },
  ],
  notes: [
    'g is the global __rt_peer_genid read as @symbol: needs CONFIG_KALLSYMS_ALL',
    'where gcc inlines rt_bind_peer into route.c\'s callers (3.0.1 builds did; 2.6.39.3 keeps it out of line), those binds show as getpeer/getpeer_ret with their caller',
    'the stamp inside rt_bind_peer needs an instruction-offset probe (rt_bind_peer+N) that depends on the build: not generated; the next dst_check shows it',
  ],
};

export const ERA_FACTS: readonly EraFacts[] = [FNHE_FACTS, SEED_FACTS];

export function factsForEra(era: Era): EraFacts {
  return ERA_FACTS.find((e) => e.eras.includes(era)) ?? FNHE_FACTS;
}
