/**
 * The scenario catalogue and each scenario's user-visible contract: what a socket user must
 * observe, per era (the user-visible contract: "after an ICMP fragmentation needed or a redirect for a
 * destination, a socket's cached route picks up the new MTU or gateway on its next use").
 *
 * The workload (workload/scenarios.c) does the actions and reports observations; the verdict is
 * here. Names and destinations must match workload/scenarios.c.
 */
import type { Era, Stage } from '../model/types.ts';
import { observed, type ScenarioRecord } from './observations.ts';
import { SEED_SCENARIO_SPECS } from './seed-scenarios.ts';
import { SMP_SCENARIO_SPECS } from './smp-scenarios.ts';

export const GATEWAY = '192.0.2.2';
export const GATEWAY2 = '192.0.2.3';
export const STRANGER = '192.0.2.9';
export const DEVICE_MTU = 1500;
/** net.ipv4.route.min_pmtu's default: lower MTUs are clamped to it and locked. */
export const MIN_PMTU = 552;
const EMSGSIZE = '-90';

export interface ContractCheck {
  /** One sentence: what a user must see. */
  what: string;
  ok: boolean;
  expected: string;
  observed: string;
  /** A step the scenario needs before the contract can be judged (the workload's own doing). */
  precondition?: boolean;
}

export interface ScenarioSpec {
  name: string;
  description: string;
  /** The eras whose contract this scenario states (others: skipped, with the reason). */
  eras: readonly Era[];
  /** `stage`: pmtu-redirect kernels, the stage of the 2.6.39 .. 3.5 history their code shows. */
  contract(r: ScenarioRecord, era: Era, stage?: Stage): ContractCheck[];
  /** Run by default only on a guest with at least this many CPUs (default 1). */
  minCpus?: number;
  /**
   * Its contract is the era's redirect learning: not judged on a pmtu-redirect kernel whose code
   * has no redirect in the inetpeer yet (a merge-window commit), whose redirect path no model describes.
   */
  learnsRedirect?: boolean;
}

type Subject = ['sock' | 'route' | 'none', string];
const sock = (id: string): Subject => ['sock', id];
const route = (id: string): Subject => ['route', id];
const none: Subject = ['none', ''];

/** A check that `key` at `step` equals `want`. */
function eq(r: ScenarioRecord, step: string, s: Subject, key: string, want: string | number, what: string, precondition = false): ContractCheck {
  const v = observed(r, step, s[0], s[1], key);
  return { what, ok: v === String(want), expected: `${label(step, s, key)}=${want}`, observed: v === undefined ? 'not observed' : `${key}=${v}`, precondition };
}

function pred(r: ScenarioRecord, step: string, s: Subject, key: string, ok: (n: number) => boolean, want: string, what: string, precondition = false): ContractCheck {
  const v = observed(r, step, s[0], s[1], key);
  return { what, ok: v !== undefined && ok(Number(v)), expected: `${label(step, s, key)} ${want}`, observed: v === undefined ? 'not observed' : `${key}=${v}`, precondition };
}

function label(step: string, s: Subject, key: string): string {
  return `${step}:${s[0] === 'none' ? '' : `${s[0]}=${s[1]}:`}${key}`;
}

/** Eras in which a learned PMTU lives in a structure a route-cache flush does not reset. */
const flushKeepsLearned = (era: Era) => era === 'seed' || era === 'pmtu-redirect';
/*
 * These contracts read IP_MTU and `ip route get DST` right after the ICMP. On the routing-cache
 * kernels (seed, pmtu-redirect) the learned value reaches a socket's route only at its next check,
 * and `ip route get DST` names a different cache entry from the socket's (no source in its key):
 * booted 2.6.39.3 kernels behave correctly and still fail them. Those eras have their own
 * scenarios (seed-scenarios.ts), which observe after the next use.
 */
const ALL_ERAS: readonly Era[] = ['pre-genid', 'fnhe'];
const LEARNING_ERAS: readonly Era[] = ['fnhe'];

/** A datagram of `len` payload bytes as an IPv4 packet (20-byte IP + 8-byte UDP headers). */
const udpLen = (len: number) => len + 28;

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'udp-pmtu',
    description: 'a connected UDP socket learns the PMTU from a frag-needed quoting its own packet',
    eras: ALL_ERAS,
    contract: (r) => [
      eq(r, 'icmp', sock('A'), 'tun_len', udpLen(1400), "A's 1400-byte datagram left through the tun device", true),
      eq(r, 'icmp', sock('A'), 'ip_mtu', 1200, 'A learned the MTU 1200 announced by the gateway'),
      eq(r, 'icmp', route('A'), 'mtu', 1200, "the route to A's destination carries MTU 1200"),
      eq(r, 'icmp', sock('B'), 'ip_mtu', DEVICE_MTU, 'B, to another destination, is unaffected'),
      eq(r, 'resend-big', sock('A'), 'ret', EMSGSIZE, 'a 1400-byte datagram on A now fails with EMSGSIZE'),
      eq(r, 'resend-small', sock('A'), 'tun_len', udpLen(1100), 'a 1100-byte datagram on A goes out'),
    ],
  },
  {
    name: 'udp-pmtu-update',
    description: 'a router further away lowers the PMTU already learned for a destination',
    eras: ALL_ERAS,
    contract: (r) => [
      eq(r, 'icmp1', sock('A'), 'ip_mtu', 1200, 'A learned 1200 from the gateway', true),
      eq(r, 'send2', sock('A'), 'tun_len', udpLen(1100), 'a 1100-byte datagram went out', true),
      eq(r, 'icmp2', sock('A'), 'ip_mtu', 1000, 'the lower MTU 1000 replaced the learned one'),
      eq(r, 'icmp2', route('A'), 'mtu', 1000, 'the route carries MTU 1000'),
      eq(r, 'send3', sock('A'), 'tun_len', udpLen(900), 'a 900-byte datagram goes out'),
    ],
  },
  {
    name: 'tcp-pmtu',
    description: 'a TCP connection learns the PMTU and retransmits in segments that fit',
    eras: ALL_ERAS,
    contract: (r) => [
      eq(r, 'connect', sock('T'), 'connected', 1, 'the TCP handshake played on the tun device completed', true),
      pred(r, 'send', sock('T'), 'tun_len', (n) => n > 1200, '> 1200', 'a full-sized segment left', true),
      eq(r, 'icmp', sock('T'), 'ip_mtu', 1200, 'the connection learned the MTU 1200'),
      pred(r, 'retransmit', sock('T'), 'tun_len', (n) => n > 40 && n <= 1200, 'in 41..1200', 'the data was retransmitted in segments that fit 1200'),
    ],
  },
  {
    name: 'redirect-gateway',
    description: "a redirect from the route's gateway changes the next hop",
    eras: ALL_ERAS,
    contract: (r) => [
      eq(r, 'send', route('R'), 'via', GATEWAY, `the destination is reached via ${GATEWAY}`, true),
      eq(r, 'redirect', route('R'), 'via', GATEWAY2, `after the gateway's redirect the next hop is ${GATEWAY2}`),
      eq(r, 'resend', sock('R'), 'tun_len', udpLen(500), 'the next datagram goes out'),
      eq(r, 'resend', route('R'), 'via', GATEWAY2, `the next hop stays ${GATEWAY2}`),
    ],
  },
  {
    name: 'redirect-stranger',
    description: 'a redirect from a host that is not the gateway is ignored',
    eras: ALL_ERAS,
    contract: (r) => [
      eq(r, 'send', route('R'), 'via', GATEWAY, `the destination is reached via ${GATEWAY}`, true),
      eq(r, 'redirect', sock('R'), 'ret', 0, `the redirect from ${STRANGER} was delivered to the guest`, true),
      eq(r, 'redirect', route('R'), 'via', GATEWAY, `the redirect from ${STRANGER} changed nothing`),
      eq(r, 'resend', sock('R'), 'tun_len', udpLen(500), 'the next datagram goes out'),
      eq(r, 'resend', route('R'), 'via', GATEWAY, `the next hop is still ${GATEWAY}`),
    ],
  },
  {
    name: 'pmtu-min-clamp',
    description: `an MTU below min_pmtu is clamped to ${MIN_PMTU} and locked`,
    eras: LEARNING_ERAS,
    contract: (r) => [
      eq(r, 'icmp', sock('C'), 'tun_len', udpLen(1400), 'the datagram to quote went out', true),
      eq(r, 'icmp', sock('C'), 'ip_mtu', MIN_PMTU, `MTU 400 is clamped to ${MIN_PMTU}`),
      eq(r, 'icmp', route('C'), 'mtu', MIN_PMTU, `the route carries MTU ${MIN_PMTU}`),
      eq(r, 'icmp', route('C'), 'lock', 1, 'the clamped MTU is locked'),
      eq(r, 'resend-600', sock('C'), 'ret', EMSGSIZE, 'a 600-byte datagram fails with EMSGSIZE'),
      eq(r, 'resend-500', sock('C'), 'tun_len', udpLen(500), 'a 500-byte datagram goes out'),
    ],
  },
  {
    name: 'flush',
    description: 'a route cache flush invalidates the cached route; the socket re-routes on its next send',
    eras: LEARNING_ERAS,
    contract: (r, era) => {
      const keeps = flushKeepsLearned(era);
      return [
        eq(r, 'icmp', sock('F'), 'ip_mtu', 1200, 'F learned 1200 before the flush', true),
        eq(r, 'flush', none, 'ret', 0, 'the flush was accepted', true),
        eq(r, 'resend', sock('F'), 'tun_len', udpLen(500), 'after the flush the next datagram goes out'),
        keeps
          ? eq(r, 'resend', sock('F'), 'ip_mtu', 1200, 'the learned MTU outlives the flush (it lives in the inetpeer)')
          : eq(r, 'resend', sock('F'), 'ip_mtu', DEVICE_MTU, 'the sysctl flush also resets exceptions (fnhe_genid): the re-routed socket is back to the device MTU'),
        keeps
          ? eq(r, 'resend-big', sock('F'), 'ret', EMSGSIZE, 'a 1400-byte datagram still fails with EMSGSIZE')
          : eq(r, 'resend-big', sock('F'), 'tun_len', udpLen(1400), 'a 1400-byte datagram goes out again'),
      ];
    },
  },
  {
    name: 'flush-same-destination',
    description: 'after a flush a new socket to the same destination works and learns again',
    eras: LEARNING_ERAS,
    contract: (r, era) => [
      eq(r, 'icmp', sock('S1'), 'ip_mtu', 1200, 'S1 learned 1200 before the flush', true),
      eq(r, 'flush', none, 'ret', 0, 'the flush was accepted', true),
      eq(r, 'connect', sock('S2'), 'ip_mtu', flushKeepsLearned(era) ? 1200 : DEVICE_MTU,
        flushKeepsLearned(era) ? 'a new socket to the destination starts with the learned MTU' : 'a new socket to the destination starts from the device MTU (the exception was reset)'),
      eq(r, 'send', sock('S2'), 'tun_len', udpLen(1000), 'its first datagram goes out'),
      eq(r, 'icmp2', sock('S2'), 'ip_mtu', 900, 'it learns the new MTU 900'),
      eq(r, 'icmp2', route('S2'), 'mtu', 900, 'the route carries MTU 900'),
    ],
  },
  {
    name: 'route-change-keeps-exception',
    description: 'a routing change re-looks up every cached route; the learned exception is kept',
    eras: LEARNING_ERAS,
    contract: (r) => [
      eq(r, 'icmp', sock('K'), 'ip_mtu', 1200, 'K learned 1200', true),
      eq(r, 'route-change', none, 'ret', 0, 'an unrelated route was added', true),
      eq(r, 'resend', sock('K'), 'tun_len', udpLen(500), 'the next datagram goes out'),
      eq(r, 'resend', sock('K'), 'ip_mtu', 1200, 'the re-looked-up route still carries the learned MTU 1200'),
      eq(r, 'resend', route('K'), 'mtu', 1200, 'the route carries MTU 1200'),
      eq(r, 'resend-big', sock('K'), 'ret', EMSGSIZE, 'a 1400-byte datagram still fails with EMSGSIZE'),
    ],
  },
  {
    name: 'exception-before-route',
    description: 'a route created after the exception carries its MTU from the start',
    eras: LEARNING_ERAS,
    contract: (r) => [
      eq(r, 'learn', sock('X'), 'ip_mtu', 1100, 'X learned 1100', true),
      eq(r, 'connect', sock('Y'), 'ip_mtu', 1100, 'a socket connected afterwards starts with MTU 1100'),
      eq(r, 'connect', route('Y'), 'mtu', 1100, 'the route carries MTU 1100'),
      eq(r, 'send-big', sock('Y'), 'ret', EMSGSIZE, 'its 1400-byte datagram fails with EMSGSIZE'),
      eq(r, 'send-small', sock('Y'), 'tun_len', udpLen(1000), 'its 1000-byte datagram goes out'),
    ],
  },
  {
    name: 'exception-after-route',
    description: 'a route cached before the exception picks it up on its next use',
    eras: LEARNING_ERAS,
    contract: (r) => [
      eq(r, 'y-send', sock('Y'), 'tun_len', udpLen(500), "Y's first datagram went out", true),
      eq(r, 'y-send', sock('Y'), 'ip_mtu', DEVICE_MTU, 'Y started with the device MTU', true),
      eq(r, 'x-learn', sock('X'), 'ip_mtu', 1100, 'X, to the same destination, learned 1100'),
      eq(r, 'y-resend', sock('Y'), 'tun_len', udpLen(500), "Y's next datagram goes out"),
      eq(r, 'y-resend', sock('Y'), 'ip_mtu', 1100, "Y's cached route picked up MTU 1100 on its next use"),
      eq(r, 'y-resend-big', sock('Y'), 'ret', EMSGSIZE, "Y's 1400-byte datagram now fails with EMSGSIZE"),
    ],
  },
  {
    name: 'many-routes',
    description: 'many routes at once: only the destinations concerned change',
    eras: ALL_ERAS,
    contract: (r) => manyRoutes(r),
  },
  ...SEED_SCENARIO_SPECS,
  ...SMP_SCENARIO_SPECS,
];

function manyRoutes(r: ScenarioRecord): ContractCheck[] {
  const info = r.observations.find((o) => o.step === 'resend-all' && o.fields.routes !== undefined)?.fields;
  const n = Number(info?.routes ?? NaN);
  const pmtuSock = info?.pmtu_sock ?? 'R5';
  const redirSock = info?.redirect_sock ?? 'R9';
  if (!Number.isFinite(n)) return [{ what: 'the workload reported its routes', ok: false, expected: 'routes=N', observed: 'not observed', precondition: true }];
  const ids = Array.from({ length: n }, (_, i) => `R${i + 1}`);
  const all = (what: string, step: string, kind: 'sock' | 'route', key: string, want: (id: string) => string, precondition = false): ContractCheck => {
    const bad = ids.filter((id) => observed(r, step, kind, id, key) !== want(id));
    return {
      what,
      ok: bad.length === 0,
      expected: `${step}:${kind}:${key} as expected for all ${n}`,
      observed: bad.length === 0 ? `all ${n} as expected` : bad.slice(0, 6).map((id) => `${id}:${key}=${observed(r, step, kind, id, key) ?? 'none'}`).join(' ') + (bad.length > 6 ? ` (+${bad.length - 6})` : ''),
      precondition,
    };
  };
  return [
    all(`${n} datagrams to ${n} destinations went out`, 'send-all', 'sock', 'tun_len', () => String(udpLen(1400)), true),
    all(`after the ICMP, all ${n} next datagrams go out`, 'resend-all', 'sock', 'tun_len', () => String(udpLen(500))),
    all(`only ${pmtuSock} learned MTU 1280`, 'resend-all', 'sock', 'ip_mtu', (id) => (id === pmtuSock ? '1280' : String(DEVICE_MTU))),
    all(`only ${redirSock} was redirected to ${GATEWAY2}`, 'resend-all', 'route', 'via', (id) => (id === redirSock ? GATEWAY2 : GATEWAY)),
  ];
}

export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((s) => s.name);

/** The scenarios whose contract an era states, in catalogue order (the default of a run). */
export function scenariosForEra(era: Era, cpus = 1): string[] {
  return SCENARIOS.filter((s) => s.eras.includes(era) && (s.minCpus ?? 1) <= cpus).map((s) => s.name);
}

export function scenarioByName(name: string): ScenarioSpec | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
