/**
 * The seed-era scenarios (workload/seed.c) and their user-visible contracts, for the kernels
 * with the routing cache and the inetpeer: the patch commit alone (era seed) and 2.6.39 .. 3.5
 * (era pmtu-redirect).
 *
 * What a user sees there differs from the modern kernels in when, not whether: a learned PMTU or
 * redirect reaches a socket's cached route when that route is next checked (a send), so every
 * contract reads after the socket's next use. The route observed is the socket's own cache entry
 * (`ip route get DST from SELF`; a plain `ip route get DST` names another entry of the cache).
 * Per era:
 *   seed           PMTU learned through the old path into the route's metrics, which live
 *                  copy-on-write in the destination's inetpeer; redirects re-intern cache entries
 *                  with the new gateway; nothing moves the genid. A flush keeps the PMTU.
 *   pmtu-redirect  PMTU and redirects learned into the inetpeer and applied at the next check
 *                  after the genid moved; a flush keeps them; the stage decides whether a
 *                  redirect from a host that is not the route's gateway is learned (S2/S3).
 */
import type { Era, Stage } from '../model/types.ts';
import { observed, type ScenarioRecord } from './observations.ts';
import type { ContractCheck, ScenarioSpec } from './scenarios.ts';

const GW = '192.0.2.2';
const GW2 = '192.0.2.3';
const MCAST_GW = '224.0.0.9';
const DEVICE_MTU = 1500;
const EMSGSIZE = '-90';
const SEED_ERAS: readonly Era[] = ['seed', 'pmtu-redirect'];
/** An IPv4 UDP datagram of `n` payload bytes. */
const udp = (n: number) => n + 28;

type Kind = 'sock' | 'route' | 'none';

function eq(r: ScenarioRecord, step: string, kind: Kind, id: string, key: string, want: string | number, what: string, precondition = false): ContractCheck {
  const v = observed(r, step, kind, id, key);
  return {
    what, ok: v === String(want), precondition,
    expected: `${step}:${kind === 'none' ? '' : `${kind}=${id}:`}${key}=${want}`,
    observed: v === undefined ? 'not observed' : `${key}=${v}`,
  };
}

/** A field of an observation whose subject is another key (rtcache=, thread=): `key` of the line where `subject`=`id`. */
function field(r: ScenarioRecord, step: string, subject: string, id: string, key: string): string | undefined {
  let v: string | undefined;
  for (const o of r.observations) if (o.step === step && o.fields[subject] === id && o.fields[key] !== undefined) v = o.fields[key];
  return v;
}

function eqField(r: ScenarioRecord, step: string, subject: string, id: string, key: string, want: string | number, what: string, precondition = false): ContractCheck {
  const v = field(r, step, subject, id, key);
  return { what, ok: v === String(want), precondition, expected: `${step}:${subject}=${id}:${key}=${want}`, observed: v === undefined ? 'not observed' : `${key}=${v}` };
}

/**
 * S2/S3 (2.6.39 .. 3.1) store a redirect in the destination's inetpeer after checking only that
 * the new gateway is on-link: the sender is never compared with the route's gateway (the model's
 * redirect invariant says the same). The patch commit still walks the cache and matches the old
 * gateway; 3.2 (S4) walks it again. A pmtu-redirect kernel whose stage is unknown is taken as S2/S3.
 */
const strangerLearned = (era: Era, stage?: Stage) => era === 'pmtu-redirect' && stage !== 'S4' && stage !== 'S5';

/**
 * The socket's own route after its next use: its gateway through netlink (the entry keyed with the
 * socket's source), and /proc/net/rt_cache (when the kernel has it), where the destination's
 * entries must include that gateway, and none may use `never`.
 */
function heldVia(r: ScenarioRecord, step: string, id: string, gw: string, what: string, never?: string): ContractCheck[] {
  const out = [eq(r, step, 'route', id, 'via', gw, `${what} (ip route get ... from the socket's address)`)];
  if (field(r, step, 'rtcache', id, 'absent') === '1') return out;
  const gws = field(r, step, 'rtcache', id, 'gws');
  const list = gws === undefined || gws === '-' ? [] : gws.split(',');
  out.push({
    what: `${what} (/proc/net/rt_cache)`,
    ok: list.includes(gw) && (never === undefined || !list.includes(never)),
    expected: `${step}:rtcache=${id}:gws including ${gw}${never ? `, not ${never}` : ''}`,
    observed: gws === undefined ? 'not observed' : `gws=${gws}`,
  });
  return out;
}

/**
 * 2.6.39 .. 3.5 stamp the route's genid inside rt_bind_peer, before check_peer_pmtu writes the
 * learned MTU into the route: a check on another CPU in that window sees a current stamp and uses
 * the route with its old MTU (seen on 2.6.39.3 with two vCPUs: 1400-byte datagrams left while the
 * other CPU was applying 1200; how many depends on how long that CPU takes, which under TCG is
 * the host's scheduling). What must hold: once a socket's send failed with EMSGSIZE, no later
 * send of that size goes out, and the last round fails everywhere. The patch commit writes the
 * MTU into the cached routes from frag_needed itself: no window, every send fails.
 */
function pmtuEverySend(r: ScenarioRecord, t: string, rounds: number, dests: number, era: Era): ContractCheck[] {
  if (era !== 'pmtu-redirect') {
    return [eqField(r, 'check', 'thread', t, 'emsgsize', rounds, `${t}: after the frag-needed every 1400-byte datagram fails with EMSGSIZE on both CPUs`)];
  }
  return [
    eqField(r, 'check', 'thread', t, 'late_sent', 0, `${t}: once a socket's 1400-byte datagram failed with EMSGSIZE, none of its later ones went out (the learned MTU stays applied)`),
    eqField(r, 'check', 'thread', t, 'last_emsgsize', dests, `${t}: by the last round every socket refuses 1400 bytes (datagrams that left earlier raced the other CPU's check: it stamps the route before it writes the MTU)`),
  ];
}

function twoCpus(r: ScenarioRecord, era: Era): ContractCheck[] {
  const cpus = Number(r.observations.find((o) => o.step === 'setup' && o.fields.cpus !== undefined)?.fields.cpus ?? NaN);
  const out: ContractCheck[] = [];
  const rounds = 160; // 40 rounds x 4 destinations (workload/seed.c)
  for (const t of ['T0', 'T1']) {
    if (cpus > 1) {
      out.push(eqField(r, 'bind', 'thread', t, 'pinned', 1, `${t} runs pinned to its own CPU`, true));
      out.push(eqField(r, 'bind', 'thread', t, 'ran_on', t === 'T0' ? 0 : 1, `${t} ran on CPU ${t === 'T0' ? 0 : 1}`, true));
    }
    out.push(eqField(r, 'bind', 'thread', t, 'sent', rounds, `${t}: every 200-byte datagram went out while both CPUs bound the routes`));
    out.push(...pmtuEverySend(r, t, rounds, 4, era));
    for (let i = 0; i < 4; i++) out.push(eq(r, 'check', 'sock', `${t}D${i}`, 'ip_mtu', 1200, `${t}'s socket to destination ${i} reports MTU 1200`));
    out.push(eqField(r, 'small', 'thread', t, 'sent', rounds, `${t}: every 1000-byte datagram goes out`));
    out.push(eqField(r, 'small', 'thread', t, 'other', 0, `${t}: no send failed for another reason`));
  }
  return out;
}

export const SEED_SCENARIO_SPECS: readonly ScenarioSpec[] = [
  {
    name: 'seed-frag-needed',
    description: "an ICMP frag-needed (ip_rt_frag_needed) teaches the socket's cached route the PMTU on its next use",
    eras: SEED_ERAS,
    contract: (r) => [
      eq(r, 'icmp', 'sock', 'A', 'tun_len', udp(1400), "A's 1400-byte datagram left through the tun device", true),
      eq(r, 'next-use', 'sock', 'A', 'ret', EMSGSIZE, 'the next 1400-byte datagram on A fails with EMSGSIZE'),
      eq(r, 'next-use', 'sock', 'A', 'ip_mtu', 1200, 'A reports the learned MTU 1200 (IP_MTU)'),
      eq(r, 'next-use', 'route', 'A', 'mtu', 1200, "A's route carries MTU 1200"),
      eq(r, 'small', 'sock', 'A', 'tun_len', udp(1100), 'a 1100-byte datagram on A goes out'),
      eq(r, 'other', 'sock', 'B', 'tun_len', udp(1400), "B's 1400-byte datagram to another destination goes out"),
      eq(r, 'other', 'sock', 'B', 'ip_mtu', DEVICE_MTU, 'B keeps the device MTU'),
    ],
  },
  {
    name: 'seed-pmtu-lower',
    description: 'a router further away lowers the learned PMTU; the socket takes the lower one on its next use',
    eras: SEED_ERAS,
    contract: (r) => [
      eq(r, 'use1', 'sock', 'L', 'ip_mtu', 1200, 'L learned 1200 from the gateway', true),
      eq(r, 'icmp2', 'sock', 'L', 'tun_len', udp(1100), 'an 1100-byte datagram went out', true),
      eq(r, 'use2', 'sock', 'L', 'ret', EMSGSIZE, 'the next 1100-byte datagram fails with EMSGSIZE'),
      eq(r, 'use2', 'sock', 'L', 'ip_mtu', 1000, 'L reports the lower MTU 1000'),
      eq(r, 'use2', 'route', 'L', 'mtu', 1000, "L's route carries MTU 1000"),
      eq(r, 'small', 'sock', 'L', 'tun_len', udp(900), 'a 900-byte datagram goes out'),
    ],
  },
  {
    name: 'seed-pmtu-expires',
    description: 'a learned PMTU expires after route/mtu_expires (1 s here): at the next check after the genid moved, the device MTU applies again',
    // The patch commit has no expiry of its own for a PMTU kept in the peer's metrics (only the
    // route cache's periodic garbage collection, 60 s, drops entries): not part of its contract.
    eras: ['pmtu-redirect'],
    contract: (r) => [
      eq(r, 'set', 'none', '', 'ret', 0, 'route/mtu_expires was set to 1 s', true),
      eq(r, 'learned', 'sock', 'E', 'ip_mtu', 1200, 'E learned 1200', true),
      eq(r, 'bump', 'sock', 'X', 'tun_len', udp(1400), 'a frag-needed for another destination moved the genid', true),
      eq(r, 'expired', 'sock', 'E2', 'tun_len', udp(1400), 'after expiry a 1400-byte datagram on E goes out again'),
      eq(r, 'expired', 'sock', 'E', 'ip_mtu', DEVICE_MTU, 'E reports the device MTU again'),
      eq(r, 'expired', 'sock', 'N', 'tun_len', udp(1400), "a new socket's 1400-byte datagram goes out"),
    ],
  },
  {
    name: 'seed-redirect',
    description: "a redirect from the route's gateway moves the socket's next hop; one from a stranger is refused",
    eras: SEED_ERAS,
    learnsRedirect: true,
    contract: (r, era, stage) => [
      eq(r, 'send', 'route', 'R', 'via', GW, `R's route goes via ${GW}`, true),
      eq(r, 'accepted', 'sock', 'R', 'ret', 0, `the redirect from ${GW} was delivered`, true),
      eq(r, 'accepted-use', 'sock', 'R', 'tun_len', udp(500), "R's next datagram goes out"),
      ...heldVia(r, 'accepted-use', 'R', GW2, `R's route now goes via ${GW2}`),
      eq(r, 'refused', 'sock', 'S', 'ret', 0, 'the redirect naming a multicast gateway was delivered', true),
      eq(r, 'refused-use', 'sock', 'S', 'tun_len', udp(500), "S's next datagram goes out"),
      ...heldVia(r, 'refused-use', 'S', GW, `the redirect naming a multicast gateway was refused: S's route still goes via ${GW}`, MCAST_GW),
      eq(r, 'stranger', 'sock', 'T', 'ret', 0, 'the redirect from an on-link stranger was delivered', true),
      eq(r, 'stranger-use', 'sock', 'T', 'tun_len', udp(500), "T's next datagram goes out"),
      ...(strangerLearned(era, stage)
        ? heldVia(r, 'stranger-use', 'T', GW2, `2.6.39 .. 3.1 learn a redirect from any on-link host into the inetpeer (the route's gateway is not compared): T's route goes via ${GW2}`)
        : heldVia(r, 'stranger-use', 'T', GW, `the redirect from a host that is not the route's gateway was refused: T's route still goes via ${GW}`)),
    ],
  },
  {
    name: 'seed-flush',
    description: 'a route-cache flush after learning: the old socket re-routes, a new socket starts; the learned PMTU lives in the inetpeer and survives',
    eras: SEED_ERAS,
    // Both eras keep it: the patch commit writes route metrics copy-on-write into the
    // destination's inetpeer (its metrics array), 2.6.39 its learned PMTU; a flush drops cache
    // entries, not peers, and a new route takes the peer's values again.
    contract: (r) => [
      eq(r, 'learned', 'sock', 'F', 'ip_mtu', 1200, 'F learned 1200 before the flush', true),
      eq(r, 'flush', 'none', '', 'ret', 0, 'the flush was accepted', true),
      eq(r, 'after', 'sock', 'F', 'tun_len', udp(500), 'after the flush F still sends'),
      eq(r, 'after', 'sock', 'F2', 'ret', EMSGSIZE, "F's 1400-byte datagram still fails: the PMTU lives in the inetpeer, which a flush keeps"),
      eq(r, 'after', 'sock', 'F', 'ip_mtu', 1200, 'F still reports 1200'),
      eq(r, 'new-socket', 'sock', 'N', 'tun_len', udp(500), "a new socket's first datagram goes out"),
      eq(r, 'new-socket', 'sock', 'N2', 'ret', EMSGSIZE, "the new socket's route takes the learned PMTU from the inetpeer"),
      eq(r, 'new-socket', 'sock', 'N', 'ip_mtu', 1200, 'the new socket reports 1200'),
    ],
  },
  {
    name: 'seed-two-cpus',
    description: 'two threads pinned to two CPUs bind and check routes to the same destinations at once, across a frag-needed',
    eras: SEED_ERAS,
    contract: (r, era) => twoCpus(r, era),
  },
];
