/**
 * Checks a KCIDB document against our own schema of what we emit (src/report/kcidb-subset.schema.json)
 * and what a JSON schema cannot say: ids unique per kind, every build's checkout and every test's
 * build present. Returns the problems (empty: valid).
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';

const schema = JSON.parse(readFileSync(new URL('../../src/report/kcidb-subset.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv.default({ allErrors: true, strict: true });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

type Obj = Record<string, unknown>;

export function kcidbProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!validate(doc)) return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  const d = doc as { checkouts: Obj[]; builds: Obj[]; tests: Obj[] };
  for (const kind of ['checkouts', 'builds', 'tests'] as const) {
    const ids = d[kind].map((o) => o.id);
    const dup = ids.find((x, i) => ids.indexOf(x) !== i);
    if (dup !== undefined) problems.push(`${kind}: id ${String(dup)} twice`);
  }
  const checkouts = new Set(d.checkouts.map((c) => c.id));
  const builds = new Set(d.builds.map((b) => b.id));
  for (const b of d.builds) if (!checkouts.has(b.checkout_id)) problems.push(`build ${String(b.id)}: no checkout ${String(b.checkout_id)}`);
  for (const t of d.tests) if (!builds.has(t.build_id)) problems.push(`test ${String(t.id)}: no build ${String(t.build_id)}`);
  return problems;
}
