/**
 * The guest-side symbol check, in ONE pass over /proc/kallsyms (one grep per symbol took 84 s
 * under TCG), and turning its answer into the probes to register.
 */
import { badInput } from '../core/errors.ts';
import { withSymbol } from './line.ts';
import type { FunctionCoverage, KallsymsCheck, ProbeDef, ProbeSet, ResolvedProbeSet } from './types.ts';

/** Symbols a probe set needs: probed functions and @symbol fetches. */
export function wantedSymbols(probes: ProbeDef[]): string[] {
  const s = new Set<string>();
  for (const p of probes) {
    s.add(p.function);
    for (const f of p.fields) {
      const m = /@([A-Za-z_][A-Za-z0-9_]*)/.exec(f.fetch);
      if (m) s.add(m[1]!);
    }
  }
  return [...s].sort();
}

/**
 * busybox-awk script: prints `@@SYM <wanted> <name>` for each wanted symbol present, where
 * <name> is the symbol itself or, failing that, its first compiler clone (`.constprop.0`,
 * `.isra.0`, `.part.0`; `.cold` parts are not entry points), then `@@SYM_END`.
 */
export function buildKallsymsCheck(probes: ProbeDef[]): KallsymsCheck {
  const symbols = wantedSymbols(probes);
  const script = [
    `awk -v want='${symbols.join(' ')}' '`,
    'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) W[w[i]] = 1 }',
    '{ s = $3; if (s in W) { if (!(s in F)) { F[s] = 1; print "@@SYM " s " " s } ; next }',
    '  if ($2 !~ /^[tTwW]$/ || s ~ /\\.cold/) next',
    '  b = s; sub(/\\..*$/, "", b); if ((b in W) && !(b in C)) C[b] = s }',
    'END { for (b in C) if (!(b in F)) print "@@SYM " b " " C[b]; print "@@SYM_END" }',
    "' /proc/kallsyms",
  ].join('\n');
  return { symbols, script };
}

/** Parses the guest's answer (CRLF tolerated; other lines ignored). Throws if `@@SYM_END` is missing. */
export function parseKallsymsAnswer(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let complete = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    const m = /^@@SYM (\S+) (\S+)$/.exec(line);
    if (m) found.set(m[1]!, m[2]!);
    else if (line === '@@SYM_END') complete = true;
  }
  if (!complete) throw badInput('the guest\'s kallsyms check did not finish (no @@SYM_END): cannot tell which functions exist');
  return found;
}

/**
 * The registered set: probes whose function the guest has (clones renamed to their kallsyms
 * name), @symbol fetches removed where the symbol is absent, coverage updated. `answer` is the
 * guest's output of `set.kallsyms.script` (or an already parsed map).
 */
export function resolveAgainstKallsyms(set: ProbeSet, answer: string | Map<string, string>): ResolvedProbeSet {
  const found = typeof answer === 'string' ? parseKallsymsAnswer(answer) : answer;
  const dropped: ResolvedProbeSet['dropped'] = [];
  const probes: ProbeDef[] = [];
  for (const p of set.probes) {
    const name = found.get(p.function);
    if (!name) {
      dropped.push({ event: p.event, symbol: p.function, reason: 'not in the guest\'s /proc/kallsyms (inlined, or not built)' });
      continue;
    }
    let d = p;
    const missingSyms = p.fields.filter((f) => {
      const m = /@([A-Za-z_][A-Za-z0-9_]*)/.exec(f.fetch);
      return m && !found.has(m[1]!);
    });
    if (missingSyms.length) {
      d = { ...d, fields: d.fields.filter((f) => !missingSyms.includes(f)), dropped: [...d.dropped, ...missingSyms.map((f) => ({ field: f.name, reason: `${f.fetch} not in kallsyms (CONFIG_KALLSYMS_ALL off?)` }))] };
    }
    probes.push(withSymbol(d, name));
  }
  const byFn = new Map<string, string[]>();
  for (const p of probes) byFn.set(p.function, [...(byFn.get(p.function) ?? []), p.event]);
  const coverage = set.coverage.map((c): FunctionCoverage => {
    if (c.status === 'probed' || c.status === 'unresolved') {
      const name = found.get(c.function);
      if (name) {
        return { ...c, status: 'probed', reason: name === c.function ? 'in kallsyms' : `in kallsyms as ${name} (a compiler clone)` };
      }
      const live = (c.via ?? []).filter((v) => byFn.has(v));
      return live.length
        ? { ...c, status: 'via-caller', via: live, probes: live.flatMap((v) => byFn.get(v) ?? []), reason: `not in kallsyms; observed via ${live.join(', ')}` }
        : { ...c, status: 'not-observable', probes: [], reason: 'not in the guest\'s kallsyms (inlined, or not built)' };
    }
    if (c.status === 'via-caller') {
      const live = (c.via ?? []).filter((v) => byFn.has(v));
      if (live.length === 0) return { ...c, status: 'not-observable', probes: [], reason: `${c.reason}; but none of ${c.via?.join(', ')} is in kallsyms` };
      return { ...c, via: live, probes: live.flatMap((v) => byFn.get(v) ?? []) };
    }
    return c;
  });
  return { ...set, probes, coverage, dropped, kallsyms: { ...set.kallsyms } };
}
