/**
 * The comparison of the differential check: the model's state and the C memory projected
 * onto the same fields (route peer, route genid, global genid, peers and their references,
 * the check result), and the list of fields where they differ.
 */
import type { ModelState, OpResult } from '../model/types.ts';
import { liveRoutes } from '../model/state.ts';
import { peerName, type Observation } from './csystem.ts';

export type { Observation };

export function observeModel(s: ModelState, result?: OpResult): Observation {
  // The model keeps peers swapped out by a flush (3.3-3.5) under a renamed key: they are no longer
  // in the inetpeer tree (not compared as peers), and a route holding one shows it as detached.
  const inTree = (k: string): boolean => s.peers[k] !== undefined && s.peers[k]!.daddr === k;
  const routes = liveRoutes(s).map((r) => ({
    id: r.id,
    peer: r.peer === null ? null : peerName(s.peers[r.peer]?.daddr ?? r.peer, !inTree(r.peer)),
    peerGenid: r.peerGenid >>> 0,
  }));
  const peers: Record<string, number> = {};
  for (const k of Object.keys(s.peers)) if (inTree(k)) peers[k] = s.peers[k]!.refcnt;
  const o: Observation = { routes, peers };
  if (s.era !== 'pre-genid') o.genid = s.genid >>> 0;
  if (s.era === 'pmtu-redirect') {
    o.mtu = {};
    o.pmtu = {};
    o.gateway = {};
    for (const r of liveRoutes(s)) {
      o.mtu[r.id] = r.mtu;
      o.gateway[r.id] = `${r.gateway}${r.redirected ? ' (redirected)' : ''}`;
    }
    for (const k of Object.keys(s.peers)) {
      const p = s.peers[k]!;
      if (!inTree(k)) continue;
      o.pmtu[p.daddr] = `${p.pmtuLearned}/${p.pmtuExpires}/${p.pmtuOrig || (s.config?.deviceMtu ?? 1500)}`;
    }
  }
  if (result?.valid !== undefined) o.valid = result.valid;
  return o;
}

/** One differing field. `field` names it the way a report shows it: 'route 0 peer', 'genid', 'peers[10.0.0.1] refcnt'. */
export interface FieldDiff {
  field: string;
  /** What the difference is about, for locating the C that made it. */
  target:
    | { kind: 'route'; id: number; what: 'peer' | 'peerGenid' | 'exists' | 'mtu' | 'gateway' }
    | { kind: 'genid' }
    | { kind: 'peer'; daddr: string; what: 'refcnt' | 'exists' | 'pmtu' }
    | { kind: 'valid' }
    | { kind: 'fault'; site?: import('../ceval/index.ts').Site };
  expected: unknown;
  actual: unknown;
}

export function diffObservations(exp: Observation, act: Observation): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (exp.fault !== act.fault) out.push({ field: 'C fault', target: { kind: 'fault' }, expected: exp.fault ?? 'none', actual: act.fault ?? 'none' });
  if (exp.valid !== undefined || act.valid !== undefined) {
    if (exp.valid !== act.valid) out.push({ field: 'check result', target: { kind: 'valid' }, expected: fmtValid(exp.valid), actual: fmtValid(act.valid) });
  }
  if (exp.genid !== act.genid && exp.genid !== undefined) out.push({ field: 'global genid', target: { kind: 'genid' }, expected: hex(exp.genid), actual: hex(act.genid) });
  const ids = new Set([...exp.routes.map((r) => r.id), ...act.routes.map((r) => r.id)]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const e = exp.routes.find((r) => r.id === id);
    const a = act.routes.find((r) => r.id === id);
    if (!e || !a) {
      out.push({ field: `route ${id}`, target: { kind: 'route', id, what: 'exists' }, expected: e ? 'live' : 'absent', actual: a ? 'live' : 'absent' });
      continue;
    }
    if (e.peer !== a.peer) out.push({ field: `route ${id} peer`, target: { kind: 'route', id, what: 'peer' }, expected: e.peer ?? 'NULL', actual: a.peer ?? 'NULL' });
    if (exp.gateway && act.gateway && exp.gateway[id] !== act.gateway[id]) {
      out.push({ field: `route ${id} gateway`, target: { kind: 'route', id, what: 'gateway' }, expected: exp.gateway[id], actual: act.gateway[id] });
    }
    if (exp.mtu && act.mtu && exp.mtu[id] !== act.mtu[id]) {
      out.push({ field: `route ${id} mtu`, target: { kind: 'route', id, what: 'mtu' }, expected: exp.mtu[id], actual: act.mtu[id] });
    }
    if (exp.genid !== undefined && e.peerGenid !== a.peerGenid) {
      out.push({ field: `route ${id} rt_peer_genid`, target: { kind: 'route', id, what: 'peerGenid' }, expected: hex(e.peerGenid), actual: hex(a.peerGenid) });
    }
  }
  const daddrs = new Set([...Object.keys(exp.peers), ...Object.keys(act.peers)]);
  for (const d of [...daddrs].sort()) {
    const e = exp.peers[d];
    const a = act.peers[d];
    if (e === undefined || a === undefined) {
      out.push({ field: `peer ${d}`, target: { kind: 'peer', daddr: d, what: 'exists' }, expected: e === undefined ? 'absent' : 'exists', actual: a === undefined ? 'absent' : 'exists' });
    } else {
      if (e !== a) out.push({ field: `peer ${d} refcnt`, target: { kind: 'peer', daddr: d, what: 'refcnt' }, expected: e, actual: a });
      const ep = exp.pmtu?.[d];
      const ap = act.pmtu?.[d];
      if (ep !== undefined && ap !== undefined && ep !== ap) {
        out.push({ field: `peer ${d} pmtu (learned/expires/orig)`, target: { kind: 'peer', daddr: d, what: 'pmtu' }, expected: ep, actual: ap });
      }
    }
  }
  return out;
}

function fmtValid(v: boolean | undefined): string {
  return v === undefined ? '-' : v ? 'dst' : 'NULL';
}

export function hex(v: number | undefined): string {
  return v === undefined ? '-' : `0x${(v >>> 0).toString(16)}`;
}

/** A stable key of an observation (for sets of allowed final states). */
export function observationKey(o: Observation, results: readonly (boolean | undefined)[] = []): string {
  const routes = o.routes.map((r) => `${r.id}:${r.peer ?? '-'}:${o.genid === undefined ? '' : r.peerGenid}${o.mtu ? `:${o.mtu[r.id]}:${o.gateway?.[r.id]}` : ''}`).join(',');
  const peers = Object.keys(o.peers)
    .sort()
    .map((d) => `${d}=${o.peers[d]}${o.pmtu ? `:${o.pmtu[d]}` : ''}`)
    .join(',');
  return `${o.fault ? `fault=${o.fault}|` : ''}g=${o.genid ?? '-'}|r=${routes}|p=${peers}|v=${results.map((v) => (v === undefined ? '-' : v ? 'dst' : 'NULL')).join(',')}`;
}
