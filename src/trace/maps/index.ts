/**
 * Built-in probe maps: every *.json in this directory, plus any the probe generator or the
 * harness ship in src/probes/maps/ (same format). Loaded once, synchronously (small files).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeMap } from '../probemap.ts';
import { parseProbeMap, knownProbeNames } from '../probemap.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIRS = [HERE, join(HERE, '../../probes/maps')];

let cache: ProbeMap[] | undefined;

/** The maps here ship with the program: test/trace/probemap.test.ts checks them against the schema. */
const SHIPPED = { shipped: true };

/** All built-in maps, base maps before maps that extend them. */
export function builtinProbeMaps(): ProbeMap[] {
  if (cache) return cache;
  const raw: { json: { name?: string; extends?: string }; source: string }[] = [];
  for (const dir of DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.json')) continue;
      const path = join(dir, f);
      raw.push({ json: JSON.parse(readFileSync(path, 'utf8')), source: `builtin:${f.replace(/\.json$/, '')}` });
    }
  }
  const done: ProbeMap[] = [];
  // Resolve `extends` in dependency order (a few passes are enough for small chains).
  let pending = raw;
  for (let pass = 0; pass < 5 && pending.length; pass++) {
    const next: typeof raw = [];
    for (const r of pending) {
      if (r.json.extends && !done.some((d) => d.name === r.json.extends)) next.push(r);
      else done.push(parseProbeMap(r.json, r.source, done, SHIPPED));
    }
    pending = next;
  }
  for (const r of pending) done.push(parseProbeMap(r.json, r.source, done, SHIPPED)); // reports the bad extends
  cache = done;
  return done;
}

export function builtinProbeMap(name: string): ProbeMap | undefined {
  return builtinProbeMaps().find((m) => m.name === name);
}

/** For each probe a map has rules for: the arg names its rules read from the line itself. */
function expectedArgs(map: ProbeMap): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (probe: string, src: string) => {
    if (src.startsWith('$') || src.includes('.')) return;
    let set = out.get(probe);
    if (!set) out.set(probe, (set = new Set()));
    set.add(src);
  };
  for (const r of map.rules) {
    if (!r.probe) continue;
    for (const c of r.when ?? []) add(r.probe, c.value);
    for (const e of r.emit) {
      for (const spec of Object.values(e.fields ?? {})) add(r.probe, typeof spec === 'string' ? spec : spec!.from);
    }
  }
  return out;
}

/**
 * Choose the map that best knows the probes seen (`hits`: probe name → count; `samples`: one
 * line per probe name). A map scores per probe name it knows, plus the share of the arg names
 * its rules read that the sample line has (so two maps naming a probe `dst_check` are told apart
 * by their fields). Ties go to the map that knows fewer names (the most specific). Returns
 * undefined when no map knows any of the names.
 */
export function selectProbeMap(
  hits: ReadonlyMap<string, number>,
  candidates: readonly ProbeMap[] = builtinProbeMaps(),
  samples: ReadonlyMap<string, string> = new Map(),
): { map: ProbeMap; reason: string } | undefined {
  let best: { map: ProbeMap; covered: number; names: number; distinct: number; score: number } | undefined;
  let total = 0;
  for (const n of hits.values()) total += n;
  for (const map of candidates) {
    const known = knownProbeNames(map);
    const args = expectedArgs(map);
    let covered = 0;
    let distinct = 0;
    let score = 0;
    for (const [name, n] of hits) {
      if (!known.has(name)) continue;
      covered += n;
      distinct++;
      score += 1;
      const want = args.get(name);
      const sample = samples.get(name);
      if (want?.size && sample !== undefined) {
        let have = 0;
        for (const a of want) if (sample.includes(` ${a}=`)) have++;
        score += have / want.size - 1; // a probe whose fields do not match counts for little
      }
    }
    if (covered === 0) continue;
    if (
      !best || score > best.score + 1e-9 ||
      (Math.abs(score - best.score) <= 1e-9 && (covered > best.covered || (covered === best.covered && known.size < best.names)))
    ) {
      best = { map, covered, names: known.size, distinct, score };
    }
  }
  if (!best) return undefined;
  return {
    map: best.map,
    reason: `knows ${best.distinct} of ${hits.size} probe names (${best.covered} of ${total} probe lines) seen at the start of the trace`,
  };
}
