/**
 * Which analyser computed a result: the package version and a hash of peerprop's own source
 * (src/**). Part of every memo key, so that a result can never be taken for another version's,
 * even if memo entries someday outlive the process.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.isFile() && /\.(ts|mjs|js|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

let id: string | undefined;

/** `peerprop@VERSION+HASH` (computed once per thread). */
export function analyserId(): string {
  if (id !== undefined) return id;
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    // An installed copy without package.json next to src: the source hash still tells versions apart.
  }
  const h = createHash('sha256');
  for (const f of sourceFiles(SRC)) h.update(f.slice(SRC.length)).update('\0').update(readFileSync(f)).update('\0');
  id = `peerprop@${version}+${h.digest('hex').slice(0, 16)}`;
  return id;
}
