/**
 * What the kernel's mechanism must show in each scenario's slice of the trace, per era: the
 * events (canonical, src/trace/events.ts) that prove the kernel took the path the contract is
 * about, e.g. for udp-pmtu on an fnhe kernel "update_or_create_fnhe for 198.51.100.10 with
 * MTU 1200". Items of `sequence` must appear in this order; `absent` items must not appear.
 * Replay through the model (mechanism.ts) comes on top of this.
 */
import type { CanonicalEvent, EventKind } from '../trace/events.ts';
import type { Era } from '../model/types.ts';
import { seedEvidence } from './seed-evidence.ts';

export interface EvidenceItem {
  what: string;
  kind: EventKind;
  /** Canonical fields that must be equal. */
  fields?: Partial<Pick<CanonicalEvent, 'daddr' | 'mtu' | 'gateway' | 'ret'>>;
  /** The probe name must match (e.g. /update_or_create/ for an exception learned, not found). */
  probe?: RegExp;
  /** Any other condition on the event (e.g. a genid bump that moved the counter by one). */
  where?: (e: CanonicalEvent) => boolean;
}

export interface ScenarioEvidence {
  sequence: EvidenceItem[];
  absent?: EvidenceItem[];
}

const LEARNED = /update_or_create/;
const FOUND = /find_exception/;

function fnheLearned(daddr: string, what: string, f: { mtu?: number; gateway?: string }): EvidenceItem {
  return { what, kind: 'fnhe', probe: LEARNED, fields: { daddr, ...f } };
}

/** Modern kernels (3.6+): next-hop exceptions. */
const FNHE: Record<string, ScenarioEvidence> = {
  'udp-pmtu': {
    sequence: [
      { what: 'the PMTU update path ran for 198.51.100.10 with MTU 1200', kind: 'pmtu', fields: { daddr: '198.51.100.10', mtu: 1200 } },
      fnheLearned('198.51.100.10', 'an exception for 198.51.100.10 learned MTU 1200', { mtu: 1200 }),
      { what: 'a later route lookup found that exception', kind: 'fnhe', probe: FOUND, fields: { daddr: '198.51.100.10', mtu: 1200 } },
    ],
  },
  'udp-pmtu-update': {
    sequence: [
      fnheLearned('198.51.100.12', 'an exception for 198.51.100.12 learned MTU 1200', { mtu: 1200 }),
      fnheLearned('198.51.100.12', 'the same exception was updated to MTU 1000', { mtu: 1000 }),
    ],
  },
  'tcp-pmtu': {
    sequence: [
      { what: 'the PMTU update path ran for 198.51.100.20 with MTU 1200', kind: 'pmtu', fields: { daddr: '198.51.100.20', mtu: 1200 } },
      fnheLearned('198.51.100.20', 'an exception for 198.51.100.20 learned MTU 1200', { mtu: 1200 }),
    ],
  },
  'redirect-gateway': {
    sequence: [
      { what: 'the redirect path ran for 198.51.100.30', kind: 'redirect', fields: { daddr: '198.51.100.30' } },
      fnheLearned('198.51.100.30', 'an exception for 198.51.100.30 learned gateway 192.0.2.3', { gateway: '192.0.2.3' }),
    ],
  },
  'redirect-stranger': {
    sequence: [{ what: 'the redirect path ran for 198.51.100.31', kind: 'redirect', fields: { daddr: '198.51.100.31' } }],
    absent: [{ what: 'no exception was learned for 198.51.100.31', kind: 'fnhe', probe: LEARNED, fields: { daddr: '198.51.100.31' } }],
  },
  'pmtu-min-clamp': {
    sequence: [fnheLearned('198.51.100.40', 'an exception for 198.51.100.40 learned the clamped MTU 552', { mtu: 552 })],
  },
  flush: {
    sequence: [
      fnheLearned('198.51.100.50', 'an exception for 198.51.100.50 learned MTU 1200', { mtu: 1200 }),
      { what: 'the sysctl flush ran', kind: 'flush', probe: /sysctl/ },
    ],
  },
  'flush-same-destination': {
    sequence: [
      fnheLearned('198.51.100.51', 'an exception for 198.51.100.51 learned MTU 1200', { mtu: 1200 }),
      { what: 'the sysctl flush ran', kind: 'flush', probe: /sysctl/ },
      fnheLearned('198.51.100.51', 'after the flush the exception learned MTU 900', { mtu: 900 }),
    ],
  },
  'route-change-keeps-exception': {
    sequence: [
      fnheLearned('198.51.100.60', 'an exception for 198.51.100.60 learned MTU 1200', { mtu: 1200 }),
      { what: 'the routing change flushed the route cache', kind: 'flush' },
      { what: 'the re-lookup found the exception with MTU 1200', kind: 'fnhe', probe: FOUND, fields: { daddr: '198.51.100.60', mtu: 1200 } },
    ],
  },
  'exception-before-route': {
    sequence: [
      fnheLearned('198.51.100.70', 'an exception for 198.51.100.70 learned MTU 1100', { mtu: 1100 }),
      { what: "the new socket's lookup found the exception", kind: 'fnhe', probe: FOUND, fields: { daddr: '198.51.100.70', mtu: 1100 } },
    ],
  },
  'exception-after-route': {
    sequence: [
      fnheLearned('198.51.100.71', 'an exception for 198.51.100.71 learned MTU 1100', { mtu: 1100 }),
      { what: "Y's cached route failed its next check", kind: 'check_ret', fields: { ret: '0x0' } },
      { what: "Y's re-lookup found the exception", kind: 'fnhe', probe: FOUND, fields: { daddr: '198.51.100.71', mtu: 1100 } },
    ],
  },
  'many-routes': {
    sequence: [
      fnheLearned('203.0.113.5', 'an exception for 203.0.113.5 learned MTU 1280', { mtu: 1280 }),
      fnheLearned('203.0.113.9', 'an exception for 203.0.113.9 learned gateway 192.0.2.3', { gateway: '192.0.2.3' }),
    ],
  },
  // Two CPUs sending while each destination learns (workload/smp.c).
  'smp-pmtu': {
    sequence: [120, 121, 122, 123].map((i) => fnheLearned(`203.0.113.${i}`, `an exception for 203.0.113.${i} learned MTU 1200`, { mtu: 1200 })),
  },
};

/** Older eras: the PMTU/redirect paths for the destination (their probes carry the daddr). */
function legacy(scenario: string): ScenarioEvidence | undefined {
  const pmtu = (daddr: string, what: string): EvidenceItem => ({ what, kind: 'pmtu', fields: { daddr } });
  const redirect = (daddr: string, what: string): EvidenceItem => ({ what, kind: 'redirect', fields: { daddr } });
  const table: Record<string, ScenarioEvidence> = {
    'udp-pmtu': { sequence: [pmtu('198.51.100.10', 'the PMTU path ran for 198.51.100.10')] },
    'udp-pmtu-update': { sequence: [pmtu('198.51.100.12', 'the PMTU path ran for 198.51.100.12')] },
    'tcp-pmtu': { sequence: [pmtu('198.51.100.20', 'the PMTU path ran for 198.51.100.20')] },
    'redirect-gateway': { sequence: [redirect('198.51.100.30', 'the redirect path ran for 198.51.100.30')] },
    'redirect-stranger': { sequence: [redirect('198.51.100.31', 'the redirect path ran for 198.51.100.31')] },
    flush: { sequence: [{ what: 'the route cache was flushed', kind: 'flush' }] },
  };
  return table[scenario];
}

export function evidenceFor(scenario: string, era: Era): ScenarioEvidence | undefined {
  return era === 'fnhe' ? FNHE[scenario] : legacy(scenario) ?? seedEvidence(scenario, era);
}

export interface EvidenceResult {
  ok: boolean;
  /** One line per item: `ok: ...` with the trace line, or `missing: ...`. */
  lines: string[];
}

function matches(e: CanonicalEvent, item: EvidenceItem): boolean {
  if (e.kind !== item.kind) return false;
  if (item.probe && !item.probe.test(e.probe ?? '')) return false;
  if (item.where && !item.where(e)) return false;
  for (const [k, v] of Object.entries(item.fields ?? {})) {
    if ((e as unknown as Record<string, unknown>)[k] !== v) return false;
  }
  return true;
}

export function checkEvidence(events: CanonicalEvent[], ev: ScenarioEvidence): EvidenceResult {
  const lines: string[] = [];
  let ok = true;
  let from = 0;
  for (const item of ev.sequence) {
    const i = events.findIndex((e, j) => j >= from && matches(e, item));
    if (i < 0) {
      ok = false;
      lines.push(`missing: ${item.what}`);
    } else {
      lines.push(`seen: ${item.what} (${events[i]!.file}:${events[i]!.line})`);
      from = i + 1;
    }
  }
  for (const item of ev.absent ?? []) {
    const hit = events.find((e) => matches(e, item));
    if (hit) {
      ok = false;
      lines.push(`unexpected: ${item.what.replace(/^no /, 'an ')} (${hit.file}:${hit.line})`);
    } else lines.push(`seen: ${item.what}`);
  }
  return { ok, lines };
}
