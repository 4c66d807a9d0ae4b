/**
 * Every format of a ci run, written at once into the output directory: text, JSON, KTAP, JUnit,
 * SARIF (review findings and scan verdicts), KCIDB and one HTML page. Each file is written whole
 * or not at all (a temporary file renamed into place).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/files.ts';
import { packageVersion } from '../core/version.ts';
import { reportToJson } from '../harness/conform.ts';
import { renderText as conformText } from '../harness/render.ts';
import { toJunit } from '../report/junit.ts';
import { renderKcidb, toKcidb } from '../report/kcidb.ts';
import { toKtap } from '../report/ktap.ts';
import { toSarif } from '../report/sarif.ts';
import { renderSarif as reviewSarif, renderText as reviewText } from '../review/render.ts';
import { toSarifReport as scanSarif, toText as scanText } from '../scan/render.ts';
import { renderVerify } from '../verify/render.ts';
import { ciHtml } from './html.ts';
import { partCheckouts, partResults } from './results.ts';
import type { CiOptions, CiPart } from './types.ts';

/** The file of each format in the output directory. */
export const CI_FILES = {
  text: 'peerprop.txt',
  json: 'peerprop.json',
  ktap: 'peerprop.ktap',
  junit: 'peerprop.junit.xml',
  sarif: 'peerprop.sarif',
  kcidb: 'peerprop.kcidb.json',
  html: 'peerprop.html',
} as const;

function partText(p: CiPart): string {
  if (p.error !== undefined) return `did not run: ${p.error}\n`;
  switch (p.kind) {
    case 'review':
      return reviewText(p.report!);
    case 'verify':
      return renderVerify(p.report!, 'text');
    case 'scan':
      return scanText(p.entries!);
    case 'conform':
      return conformText(p.report!);
  }
}

function partJson(p: CiPart): unknown {
  const { kind, title, exitCode, error, startedAt, durationMs } = p;
  const head = { kind, title, exitCode, ...(error !== undefined ? { error } : {}), startedAt, durationMs: Math.round(durationMs) };
  switch (p.kind) {
    case 'review':
      return { ...head, patch: p.patch, report: p.report ?? null };
    case 'verify':
      return { ...head, patch: p.patch, report: p.report ?? null };
    case 'scan':
      return { ...head, target: p.target, ...(p.repository !== undefined ? { repository: p.repository } : {}), entries: p.entries ?? null };
    case 'conform':
      return { ...head, kernel: p.kernel, report: p.report ? reportToJson(p.report) : null };
  }
}

/** One SARIF log with a run per part that has code locations (review findings, scan verdicts). */
function sarif(parts: readonly CiPart[]): string {
  const runs: unknown[] = [];
  for (const p of parts) {
    if (p.kind === 'review' && p.report) runs.push(...(JSON.parse(reviewSarif(p.report)) as { runs: unknown[] }).runs);
    if (p.kind === 'scan' && p.entries) runs.push(...(JSON.parse(scanSarif(p.entries)) as { runs: unknown[] }).runs);
  }
  const log = toSarif(packageVersion(), [], []) as { runs: unknown[] };
  if (runs.length) log.runs = runs;
  return JSON.stringify(log, null, 2) + '\n';
}

export async function writeOutputs(o: CiOptions, parts: readonly CiPart[], exitCode: number, startedAt: string): Promise<Record<string, string>> {
  const results = parts.map(partResults);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const summary = { parts: parts.length, pass: count('pass'), fail: count('fail'), error: count('error'), skip: count('skip') };
  const texts: Record<keyof typeof CI_FILES, () => string> = {
    text: () => parts.map((p) => `==== peerprop ${p.title}  [exit ${p.exitCode}]\n${partText(p).replace(/\n*$/, '\n')}\n`).join('') + `==== overall exit ${exitCode}\n`,
    json: () => JSON.stringify({ tool: 'peerprop ci', version: packageVersion(), startedAt, exitCode, summary, parts: parts.map(partJson) }, null, 2) + '\n',
    ktap: () => toKtap(results, [`peerprop ci ${packageVersion()}: ${parts.length} part(s), exit ${exitCode}`]),
    junit: () => toJunit('peerprop ci', results),
    sarif: () => sarif(parts),
    kcidb: () => renderKcidb(toKcidb(parts.flatMap((p) => partCheckouts(p, o)))),
    html: () => ciHtml(parts, exitCode),
  };
  const files: Record<string, string> = {};
  for (const [format, name] of Object.entries(CI_FILES) as [keyof typeof CI_FILES, string][]) {
    const path = join(o.out, name);
    await writeFileAtomic(path, texts[format]());
    files[format] = path;
  }
  return files;
}
