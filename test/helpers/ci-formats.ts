/**
 * Checks every file a ci run writes: KCIDB against our schema (and its links), SARIF against the
 * official SARIF 2.1.0 schema, KTAP against its grammar (version, plan, one result line per planned
 * test at every level), JUnit's counts, JSON and the HTML page's parts. Returns the documents.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { expect } from 'vitest';
import { CI_FILES } from '../../src/ci/index.ts';
import { kcidbProblems } from './kcidb.ts';

const require = createRequire(import.meta.url);
const sarifAjv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile(JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object);

export interface KcidbTest {
  path: string;
  status: string;
  log_excerpt?: string;
  build_id: string;
  comment?: string;
}

export interface CiFiles {
  json: { exitCode: number; parts: { kind: string; exitCode: number; error?: string }[] };
  kcidb: { checkouts: Record<string, unknown>[]; builds: Record<string, unknown>[]; tests: KcidbTest[] };
  ktap: string;
  junit: string;
  sarif: { runs: { results: unknown[] }[] };
  html: string;
  text: string;
}

/** Checks one KTAP block (lines at one indent) and its nested blocks; returns its result lines. */
function checkKtap(lines: string[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  expect(lines[0]).toBe(`${pad}KTAP version 1`);
  let i = 1;
  while (lines[i]?.startsWith(`${pad}#`)) i++;
  const plan = /^ *1\.\.(\d+)$/.exec(lines[i] ?? '');
  expect(plan, `plan at line ${i}: ${lines[i]}`).not.toBeNull();
  const results: string[] = [];
  i++;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.startsWith(`${pad}  KTAP version 1`)) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.startsWith(`${pad}  `)) j++;
      checkKtap(lines.slice(i, j), indent + 2);
      i = j;
      continue;
    }
    expect(l, `KTAP line: ${l}`).toMatch(new RegExp(`^${pad}(# .*|#|(not )?ok \\d+ [^#]*( # (SKIP|ERROR|TIMEOUT).*)?)$`));
    if (/^ *(not )?ok /.test(l)) {
      results.push(l);
      expect(l).toMatch(new RegExp(`^${pad}(not )?ok ${results.length} `));
    }
    i++;
  }
  expect(results.length).toBe(Number(plan![1]));
  return results;
}

export function readCiFiles(dir: string): CiFiles {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const kcidb = JSON.parse(read(CI_FILES.kcidb)) as CiFiles['kcidb'];
  expect(kcidbProblems(kcidb)).toEqual([]);
  const sarif = JSON.parse(read(CI_FILES.sarif)) as CiFiles['sarif'];
  expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
  const ktap = read(CI_FILES.ktap);
  checkKtap(ktap.replace(/\n$/, '').split('\n'), 0);
  const json = JSON.parse(read(CI_FILES.json)) as CiFiles['json'];
  const junit = read(CI_FILES.junit);
  expect(junit).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="peerprop ci" tests="\d+"/);
  expect((junit.match(/<testsuite /g) ?? []).length).toBe((junit.match(/<\/testsuite>/g) ?? []).length);
  const html = read(CI_FILES.html);
  expect(html).toMatch(/<table id="parts">/);
  // Self-contained: no script, style or image fetched from anywhere.
  expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//);
  for (const p of json.parts) expect(html).toContain(`[exit ${p.exitCode}]`);
  return { json, kcidb, ktap, junit, sarif, html, text: read(CI_FILES.text) };
}
