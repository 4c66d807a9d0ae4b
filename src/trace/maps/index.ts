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
      else done.push(parseProbeMap(r.json, r.source, done));
    }
    pending = next;
  }
  for (const r of pending) done.push(parseProbeMap(r.json, r.source, done)); // reports the bad extends
  cache = done;
  return done;
}

export function builtinProbeMap(name: string): ProbeMap | undefined {
  return builtinProbeMaps().find((m) => m.name === name);
}

/**
 * Choose the map that knows the most probe hits among those seen (`hits`: probe name → count).
 * Ties go to the map that knows fewer names (the most specific). Returns undefined when no map
 * knows any of the names.
 */
export function selectProbeMap(
  hits: ReadonlyMap<string, number>,
  candidates: readonly ProbeMap[] = builtinProbeMaps(),
): { map: ProbeMap; reason: string } | undefined {
  let best: { map: ProbeMap; covered: number; names: number; distinct: number } | undefined;
  let total = 0;
  for (const n of hits.values()) total += n;
  for (const map of candidates) {
    const known = knownProbeNames(map);
    let covered = 0;
    let distinct = 0;
    for (const [name, n] of hits) {
      if (known.has(name)) {
        covered += n;
        distinct++;
      }
    }
    if (covered === 0) continue;
    if (
      !best || distinct > best.distinct || (distinct === best.distinct && covered > best.covered) ||
      (distinct === best.distinct && covered === best.covered && known.size < best.names)
    ) {
      best = { map, covered, names: known.size, distinct };
    }
  }
  if (!best) return undefined;
  return {
    map: best.map,
    reason: `knows ${best.distinct} of ${hits.size} probe names (${best.covered} of ${total} probe lines) seen at the start of the trace`,
  };
}
