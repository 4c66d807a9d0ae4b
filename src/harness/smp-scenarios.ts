/**
 * Scenarios for several CPUs on modern kernels (workload/smp.c), run by default when the guest
 * has more than one CPU (`conform --smp N`). What a user must see is the same as on one CPU:
 * every socket of both CPUs learns the PMTU that arrived while they were sending; the point of
 * running them is the trace, where both CPUs check the same routes while exceptions are
 * created and next-hop routes killed (replay must find no divergence in it).
 */
import type { Era } from '../model/types.ts';
import { observed, type ScenarioRecord } from './observations.ts';
import type { ContractCheck, ScenarioSpec } from './scenarios.ts';

const EMSGSIZE = '-90';
const SMP_DESTS = 4;

/** `key` of the observation whose `subject=id` field names it (e.g. thread=T0). */
function field(r: ScenarioRecord, step: string, subject: string, id: string, key: string): string | undefined {
  let v: string | undefined;
  for (const o of r.observations) if (o.step === step && o.fields[subject] === id && o.fields[key] !== undefined) v = o.fields[key];
  return v;
}

function check(what: string, ok: boolean, expected: string, observedText: string | undefined, precondition = false): ContractCheck {
  return { what, ok, expected, observed: observedText === undefined ? 'not observed' : observedText, precondition };
}

function smpPmtu(r: ScenarioRecord): ContractCheck[] {
  const cpus = Number(r.observations.find((o) => o.step === 'setup' && o.fields.cpus !== undefined)?.fields.cpus ?? NaN);
  const out: ContractCheck[] = [];
  for (let k = 0; k < 2; k++) {
    const t = `T${k}`;
    if (cpus > 1) {
      const pinned = field(r, 'race', 'thread', t, 'pinned');
      const ranOn = field(r, 'race', 'thread', t, 'ran_on');
      out.push(check(`${t} ran pinned to CPU ${k}`, pinned === '1' && ranOn === String(k), `race:thread=${t}:pinned=1 ran_on=${k}`, pinned === undefined ? undefined : `pinned=${pinned} ran_on=${ranOn}`, true));
    }
    const sent = field(r, 'race', 'thread', t, 'sent');
    out.push(check(`${t} sent while the frag-needed errors arrived`, Number(sent) > 0, `race:thread=${t}:sent > 0`, sent === undefined ? undefined : `sent=${sent}`, true));
    // 1000 bytes fit the learned 1200: the only EMSGSIZE a send may return is the ICMP's own error,
    // queued once on each socket whose datagram it quotes (T0's) and reported by its next send.
    const other = field(r, 'race', 'thread', t, 'other');
    const emsg = field(r, 'race', 'thread', t, 'emsgsize');
    const maxEmsg = k === 0 ? SMP_DESTS : 0;
    out.push(check(`${t}: no 1000-byte send failed${k === 0 ? ' (but for the ICMP error reported once per quoted socket)' : ''}`, other === '0' && emsg !== undefined && Number(emsg) <= maxEmsg, `race:thread=${t}:other=0 emsgsize<=${maxEmsg}`, other === undefined ? undefined : `other=${other} emsgsize=${emsg}`));
    for (let i = 0; i < SMP_DESTS; i++) {
      const s = `${t}D${i}`;
      const ret = observed(r, 'after', 'sock', s, 'ret');
      const mtu = observed(r, 'after', 'sock', s, 'ip_mtu');
      const healRet = observed(r, 'heal', 'sock', s, 'ret');
      if (cpus > 1 && ret === '1400' && healRet !== undefined) {
        // A route the socket cached on the other CPU while the exception was being created can
        // miss it (the kernel kills the next hop's cached routes, a racing lookup caches its own
        // after that): its datagram goes out once at the old MTU. That is PMTU discovery working
        // as designed only if the next frag-needed, quoting that datagram, teaches the socket.
        const healMtu = observed(r, 'heal', 'sock', s, 'ip_mtu');
        const was = `after: ret=${ret} ip_mtu=${mtu ?? '?'}; after the next frag-needed: `;
        out.push(check(`${s}: its 1400-byte datagram went out once at the old MTU (route cached during the race); after the next frag-needed it fails with EMSGSIZE`, healRet === EMSGSIZE, `heal:sock=${s}:ret=${EMSGSIZE}`, `${was}ret=${healRet}`));
        out.push(check(`${s} reports the learned MTU 1200 after the next frag-needed`, healMtu === '1200', `heal:sock=${s}:ip_mtu=1200`, healMtu === undefined ? undefined : `${was}ip_mtu=${healMtu}`));
      } else {
        out.push(check(`${s}: a 1400-byte datagram fails with EMSGSIZE after the race`, ret === EMSGSIZE, `after:sock=${s}:ret=${EMSGSIZE}`, ret === undefined ? undefined : `ret=${ret}`));
        out.push(check(`${s} reports the learned MTU 1200`, mtu === '1200', `after:sock=${s}:ip_mtu=1200`, mtu === undefined ? undefined : `ip_mtu=${mtu}`));
      }
      const len = observed(r, 'small', 'sock', s, 'tun_len');
      out.push(check(`${s}: a 1100-byte datagram goes out`, len === String(1100 + 28), `small:sock=${s}:tun_len=${1100 + 28}`, len === undefined ? undefined : `tun_len=${len}`));
    }
  }
  return out;
}

const MODERN: readonly Era[] = ['fnhe'];

export const SMP_SCENARIO_SPECS: readonly ScenarioSpec[] = [
  {
    name: 'smp-pmtu',
    description: 'two threads pinned to two CPUs send on routes to the same destinations while each destination learns a PMTU',
    eras: MODERN,
    minCpus: 2,
    contract: (r) => smpPmtu(r),
  },
];
