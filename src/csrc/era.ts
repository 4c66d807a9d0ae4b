/**
 * Which stage of the route <-> inetpeer genid mechanism a route.c is at, decided from
 * the code itself (src/model/README.md, stages), never from a version string:
 *   pre-genid      rt_bind_peer / rt->peer, no genid            (<= 2.6.38)
 *   seed           genid declared/read/stamped, nothing bumps it (commit 6431cbc only)
 *   pmtu-redirect  genid bumped by the PMTU / redirect paths      (2.6.39 .. 3.5)
 *   fnhe           routing cache gone: no rt_bind_peer, no rt->peer; next-hop
 *                  exceptions instead                             (3.6 ..)
 */
import type { ProtocolFacts } from './facts.ts';
import { allOf } from './facts.ts';

import type { DetectedEra } from '../core/eras.ts';

export interface EraVerdict {
  era: DetectedEra;
  /** One line, saying what in the code decided it. */
  reason: string;
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

function list(names: string[], max = 4): string {
  const u = uniq(names);
  return u.length <= max ? u.join(', ') : `${u.slice(0, max).join(', ')} and ${u.length - max} more`;
}

export function detectEra(facts: ProtocolFacts): EraVerdict {
  const fnNames = new Set(facts.functions.map((f) => f.name));
  const binds = allOf(facts, 'binds');
  const bumps = allOf(facts, 'bumps');
  const stamps = allOf(facts, 'stamps');
  const reads = allOf(facts, 'reads');
  const cmpxchgs = allOf(facts, 'cmpxchgs');
  const hasBindPeer = [...fnNames].some((n) => /_bind_peer$/.test(n)) || binds.length > 0;
  const hasGenid = facts.globals.length > 0 || reads.length > 0 || stamps.length > 0 || facts.accessors.some((a) => fnNames.has(a));
  const hasPeerBinding = hasBindPeer || cmpxchgs.length > 0 || facts.peerFieldUses > 0;
  const fnheUpdates = allOf(facts, 'fnheUpdates');
  const counters = allOf(facts, 'counters');
  const fnhe =
    fnheUpdates.length > 0 || counters.some((c) => c.counter === 'fnhe_genid') || facts.fnheMentions > 0 || allOf(facts, 'obsolete').some((o) => o.constant === 'DST_OBSOLETE_FORCE_CHK');

  if (hasGenid) {
    const genidName = facts.globals[0]?.name ?? reads[0]?.name ?? 'the peer genid';
    if (bumps.length > 0) {
      return {
        era: 'pmtu-redirect',
        reason: `${genidName} is bumped in ${list(bumps.map((b) => `${b.function}()`))} (PMTU/redirect learning), read in ${list(reads.map((r) => `${r.function}()`))}`,
      };
    }
    return {
      era: 'seed',
      reason: `${genidName} is declared/read${stamps.length ? ` and stamped in ${list(stamps.map((s) => `${s.function}()`))}` : ''} but nothing bumps it`,
    };
  }
  if (hasPeerBinding) {
    const where = hasBindPeer ? `rt_bind_peer() ${fnNames.has('rt_bind_peer') ? 'is defined' : 'is called'}` : 'routes bind an inet_peer through ->peer';
    return { era: 'pre-genid', reason: `${where} but there is no peer generation ID (no __rt_peer_genid, no rt_peer_genid stamp)` };
  }
  if (fnhe) {
    const what = fnheUpdates.length > 0 ? 'update_or_create_fnhe()' : counters.some((c) => c.counter === 'fnhe_genid') ? 'fnhe_genid' : 'next-hop exceptions';
    return {
      era: 'fnhe',
      reason: `rt_bind_peer, rt_peer_genid and rt->peer are gone (routing cache removed in 3.6); learned PMTU/redirects go to ${what}`,
    };
  }
  const unparsed = facts.unparsed.length ? `; ${facts.unparsed.length} function(s) could not be parsed` : '';
  return { era: 'unknown', reason: `no rt_bind_peer, no peer genid and no next-hop exceptions in ${facts.file}${unparsed}` };
}
