/**
 * What the mechanism must show in each seed-era scenario's slice of the trace (workload/seed.c),
 * per era: the PMTU / redirect path ran for the scenario's destination, and the global
 * __rt_peer_genid moved as the era says. On the patch commit alone nothing bumps it (a bump is
 * a divergence); from 2.6.39 on, frag_needed and an accepted redirect move it by exactly one.
 */
import type { CanonicalEvent } from '../trace/events.ts';
import type { Era } from '../model/types.ts';
import type { EvidenceItem, ScenarioEvidence } from './evidence.ts';

const moved = (e: CanonicalEvent) => e.old !== undefined && e.new !== undefined && e.old !== e.new;
const byOne = (e: CanonicalEvent) => e.old !== undefined && e.new !== undefined && ((e.old + 1) >>> 0) === e.new >>> 0;

const pmtu = (daddr: string, mtu?: number): EvidenceItem => ({
  what: `the PMTU path ran for ${daddr}${mtu ? ` with MTU ${mtu}` : ''}`, kind: 'pmtu', fields: { daddr, ...(mtu ? { mtu } : {}) },
});
const bump = (daddr: string): EvidenceItem => ({ what: `the genid moved by one for ${daddr}`, kind: 'genid_bump', fields: { daddr }, where: byOne });
const redirect = (daddr: string, gateway: string): EvidenceItem => ({ what: `the redirect path ran for ${daddr} towards ${gateway}`, kind: 'redirect', fields: { daddr, gateway } });
const NEVER_MOVES: EvidenceItem = { what: 'no increment of the genid (the patch commit has no bumper)', kind: 'genid_bump', where: moved };

/** Per scenario: the sequence on every seed-era kernel, and what the pmtu-redirect era adds. */
const TABLE: Record<string, { common: EvidenceItem[]; bumps: EvidenceItem[] }> = {
  'seed-frag-needed': { common: [pmtu('203.0.113.100', 1200)], bumps: [bump('203.0.113.100')] },
  'seed-pmtu-lower': { common: [pmtu('203.0.113.102', 1200), pmtu('203.0.113.102', 1000)], bumps: [bump('203.0.113.102')] },
  'seed-pmtu-expires': { common: [pmtu('203.0.113.103', 1200), pmtu('203.0.113.107', 1300)], bumps: [bump('203.0.113.107')] },
  'seed-redirect': { common: [redirect('203.0.113.104', '192.0.2.3')], bumps: [bump('203.0.113.104')] },
  'seed-flush': { common: [pmtu('203.0.113.106', 1200), { what: 'the route cache was flushed', kind: 'flush' }], bumps: [] },
  'seed-two-cpus': { common: [0, 1, 2, 3].map((i) => pmtu(`203.0.113.${110 + i}`, 1200)), bumps: [bump('203.0.113.113')] },
};

export function seedEvidence(scenario: string, era: Era): ScenarioEvidence | undefined {
  const t = TABLE[scenario];
  if (!t) return undefined;
  if (era === 'seed') return { sequence: t.common, absent: [NEVER_MOVES] };
  if (era === 'pmtu-redirect') {
    // A bump follows its learning event: frag_needed's pmtu and genid_bump come from one return probe.
    return { sequence: [...t.common, ...t.bumps].sort((a, b) => order(a) - order(b)) };
  }
  return undefined;
}

/** Keeps the common items first; the bump items after them (the bump is emitted after the learning event). */
function order(i: EvidenceItem): number {
  return i.kind === 'genid_bump' ? 1 : 0;
}
