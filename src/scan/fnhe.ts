/**
 * The fnhe era (3.6+): the routing cache, rt_bind_peer and __rt_peer_genid are gone; learned
 * PMTU / redirects live in next-hop exceptions and reach cached routes by making their check fail.
 * There is no genid/peer function left to run against the model, so scan checks the facts
 * that carry the same user-visible duty, each at its line:
 *  - ipv4_dst_check returns NULL for a dst whose `obsolete` is not DST_OBSOLETE_FORCE_CHK
 *    (or is DST_OBSOLETE_KILL, 3.6-3.10) and for an expired route (rt_is_expired: rt_genid);
 *  - learning marks cached dsts DST_OBSOLETE_KILL somewhere (otherwise nothing reaches them);
 *  - (3.11+) a stale fnhe_genid wipes an exception's learned state (flush forgets PMTU/redirects).
 */
import { blankComments, findFunction, ifParts, lineIndex, enclosingFunctionName } from './ctext.ts';

export interface FnheFacts {
  dstCheck?: {
    line: number;
    /** The NULL-returning condition as written. */
    condition?: string;
    conditionLine?: number;
    obsoleteTest?: 'force-chk' | 'kill';
    expiredTest: boolean;
  };
  rtIsExpired?: { line: number; usesRtGenid: boolean };
  killSites: { line: number; fn?: string }[];
  /** `fnhe_genid != genid` tests whose branch resets the exception's learned state. */
  genidResets: { line: number; fn?: string }[];
  /** Any mention of fnhe_genid (3.11+), for the note when there is none (3.6-3.10). */
  mentionsFnheGenid: boolean;
  /** Line of the first fnhe_genid mention. */
  fnheGenidLine?: number;
  /** Seed-era names still present (should be none in this era). */
  leftovers: { name: string; line: number }[];
}

const LEFTOVER_NAMES = ['rt_bind_peer', '__rt_peer_genid', 'rt_peer_genid'];

export function extractFnheFacts(source: string): FnheFacts {
  const text = blankComments(source);
  const line = lineIndex(text);
  const facts: FnheFacts = { killSites: [], genidResets: [], mentionsFnheGenid: /\bfnhe_genid\b/.test(text), leftovers: [] };

  const genidMention = /\bfnhe_genid\b/.exec(text);
  if (genidMention) facts.fnheGenidLine = line(genidMention.index);

  const check = findFunction(text, 'ipv4_dst_check');
  if (check) {
    const body = text.slice(check.bodyStart, check.end);
    const dc: NonNullable<FnheFacts['dstCheck']> = { line: line(check.start), expiredTest: false };
    const ifRe = /\bif\s*\(/g;
    for (let m = ifRe.exec(body); m; m = ifRe.exec(body)) {
      const parts = ifParts(body, m.index + m[0].length - 1);
      if (!parts || !/\breturn\s+NULL\s*;/.test(parts.body)) continue;
      const cond = parts.condition.replace(/\s+/g, ' ').trim();
      const obsolete = /obsolete\s*!=\s*DST_OBSOLETE_FORCE_CHK\b/.test(cond)
        ? 'force-chk'
        : /obsolete\s*==\s*DST_OBSOLETE_KILL\b/.test(cond)
          ? 'kill'
          : undefined;
      const expired = /\brt_is_expired\s*\(/.test(cond);
      if (obsolete || expired) {
        dc.condition = cond;
        dc.conditionLine = line(check.bodyStart + m.index);
        if (obsolete) dc.obsoleteTest = obsolete;
        dc.expiredTest = dc.expiredTest || expired;
      }
    }
    facts.dstCheck = dc;
  }

  const expired = findFunction(text, 'rt_is_expired');
  if (expired) {
    facts.rtIsExpired = { line: line(expired.start), usesRtGenid: /rt_genid/.test(text.slice(expired.bodyStart, expired.end)) };
  }

  for (const m of text.matchAll(/\bobsolete\s*=\s*DST_OBSOLETE_KILL\b/g)) {
    const fn = enclosingFunctionName(text, m.index!);
    facts.killSites.push({ line: line(m.index!), ...(fn ? { fn } : {}) });
  }

  for (const m of text.matchAll(/\bif\s*\(/g)) {
    const parts = ifParts(text, m.index! + m[0].length - 1);
    if (!parts || !/fnhe_genid\s*!=/.test(parts.condition)) continue;
    if (/fnhe_(pmtu|gw)\s*=\s*0\s*;/.test(parts.body)) {
      const fn = enclosingFunctionName(text, m.index!);
      facts.genidResets.push({ line: line(m.index!), ...(fn ? { fn } : {}) });
    }
  }

  for (const name of LEFTOVER_NAMES) {
    const m = new RegExp(`\\b${name}\\b`).exec(text);
    if (m) facts.leftovers.push({ name, line: line(m.index) });
  }
  return facts;
}

export type FnheOutcome =
  | { ok: true; summary: string; line: number; details: string[] }
  | { ok: false; problem: string; line: number; details: string[] };

export const FNHE_NOTE =
  'genid/peer functions gone (routing cache removed in 3.6; next-hop exceptions carry the duty)';

/** Judges the facts: which duty is carried, or which one is missing and where. */
export function judgeFnhe(f: FnheFacts, file: string): FnheOutcome {
  const details: string[] = [];
  if (f.dstCheck?.conditionLine) details.push(`${file}:${f.dstCheck.conditionLine}: ipv4_dst_check returns NULL if (${f.dstCheck.condition})`);
  if (f.rtIsExpired) details.push(`${file}:${f.rtIsExpired.line}: rt_is_expired ${f.rtIsExpired.usesRtGenid ? 'compares rt_genid' : 'does not mention rt_genid'}`);
  for (const k of f.killSites) details.push(`${file}:${k.line}: ${k.fn ?? '?'} marks a cached dst DST_OBSOLETE_KILL`);
  for (const r of f.genidResets) details.push(`${file}:${r.line}: ${r.fn ?? '?'} resets an exception with a stale fnhe_genid`);
  if (!f.mentionsFnheGenid) details.push('no fnhe_genid (3.6-3.10): a route flush does not forget learned exceptions');

  if (!f.dstCheck) return { ok: false, problem: 'ipv4_dst_check not found', line: 1, details };
  if (!f.dstCheck.obsoleteTest) {
    return {
      ok: false,
      problem: 'ipv4_dst_check never returns NULL for an obsolete (DST_OBSOLETE_KILL) dst: learned PMTU/redirects would not reach cached routes',
      line: f.dstCheck.line,
      details,
    };
  }
  if (!f.dstCheck.expiredTest) {
    return { ok: false, problem: 'ipv4_dst_check does not test rt_is_expired: flushed routes would stay in use', line: f.dstCheck.line, details };
  }
  if (f.killSites.length === 0) {
    return {
      ok: false,
      problem: 'nothing sets DST_OBSOLETE_KILL: a learned PMTU/redirect never makes a cached route fail its check',
      line: f.dstCheck.conditionLine ?? f.dstCheck.line,
      details,
    };
  }
  if (f.mentionsFnheGenid && f.genidResets.length === 0) {
    return {
      ok: false,
      problem: 'fnhe_genid is kept but no stale exception is ever reset: a route flush would not forget learned PMTU/redirects',
      line: f.fnheGenidLine ?? 1,
      details,
    };
  }
  const parts = [
    `ipv4_dst_check returns NULL on ${f.dstCheck.obsoleteTest === 'force-chk' ? 'obsolete != DST_OBSOLETE_FORCE_CHK' : 'obsolete == DST_OBSOLETE_KILL'} or rt_is_expired${f.rtIsExpired?.usesRtGenid ? ' (rt_genid)' : ''} (${file}:${f.dstCheck.conditionLine})`,
    `${f.killSites.length} site(s) mark cached dsts DST_OBSOLETE_KILL`,
    f.genidResets.length > 0
      ? `stale fnhe_genid resets the exception (${f.genidResets.map((r) => `${r.fn ?? '?'}:${r.line}`).join(', ')})`
      : 'no fnhe_genid (3.6-3.10)',
  ];
  return { ok: true, summary: `facts checked: ${parts.join('; ')}`, line: f.dstCheck.conditionLine ?? f.dstCheck.line, details };
}
