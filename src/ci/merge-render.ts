/**
 * A merged matrix run in each output format. Each kernel's shards were joined into one conform
 * report (merge.ts), so the per-kernel writers of `conform` are reused as they are: KTAP and
 * JUnit get one top-level test per kernel, HTML one page per kernel, KCIDB one checkout per
 * kernel. A kernel no shard could boot still appears, its scenarios as errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from '../core/errors.ts';
import { packageVersion } from '../core/version.ts';
import { reportToJson } from '../harness/conform.ts';
import { renderText, timingLine, toConformResults } from '../harness/render.ts';
import { conformHtml } from '../report/html/conform.ts';
import { toJunit } from '../report/junit.ts';
import { toKtap } from '../report/ktap.ts';
import type { TestResult } from '../report/results.ts';
import { mergedKcidb } from './merge-kcidb.ts';
import type { MergedKernel, MergedReport } from './merge.ts';

export { MERGE_FORMATS, type MergeFormat } from './formats.ts';
import type { MergeFormat } from './formats.ts';

function headline(m: MergedReport): string {
  const run = m.run.id ? `run ${m.run.id}` : 'unnamed run';
  return `peerprop merge: matrix ${m.matrix.id} (${m.matrix.kernels.length} kernel(s) x ${m.matrix.scenarios.length} scenario(s)), ${m.shards.length} of ${m.matrix.shards} shards, ${run}, peerprop ${m.peerprop}`;
}

function kernelResult(k: MergedKernel): TestResult {
  const notes = [`shards: ${[...new Set(k.shards)].join(', ')}`, ...k.errors.map((e) => `shard ${e.shard} could not run ${e.scenarios.join(', ')}: ${e.message}`)];
  if (k.report) {
    const [top] = toConformResults(k.report);
    return { ...top!, diagnostics: [...notes, ...(top!.diagnostics ?? [])] };
  }
  const reason = k.errors[0]?.message ?? 'no shard ran this kernel';
  const subtests: TestResult[] = k.errors.flatMap((e) => e.scenarios.map((s) => ({ name: s, status: 'error' as const, reason: `shard ${e.shard}: ${e.message}` })));
  return { name: `conform ${k.spec}`, status: 'error', reason, subtests, diagnostics: notes };
}

export function mergedResults(m: MergedReport): TestResult[] {
  return m.kernels.map(kernelResult);
}

export function mergedToJson(m: MergedReport): unknown {
  return {
    format: 'peerprop-merged',
    version: 1,
    matrix: m.matrix,
    run: m.run,
    options: m.options,
    peerprop: m.peerprop,
    shards: m.shards,
    kernels: m.kernels.map((k) => ({ spec: k.spec, shards: k.shards, errors: k.errors, exitCode: k.exitCode, report: k.report ? reportToJson(k.report) : null })),
    exitCode: m.exitCode,
  };
}

function mergedText(m: MergedReport): string {
  const out: string[] = [headline(m)];
  for (const k of m.kernels) {
    out.push('', `== ${k.spec} (shards ${[...new Set(k.shards)].join(', ')}) ==`);
    for (const e of k.errors) out.push(`ERR  shard ${e.shard}: ${e.scenarios.join(', ')} not run: ${e.message}`);
    if (k.report) out.push(renderText(k.report).trimEnd());
  }
  const all = m.kernels.flatMap((k) => k.report?.scenarios.map((v) => v.status) ?? k.errors.flatMap((e) => e.scenarios.map(() => 'error' as const)));
  const n = (s: string) => all.filter((x) => x === s).length;
  out.push('', `merged: ${m.kernels.length} kernel(s), ${all.length} scenario runs: ${n('pass')} passed, ${n('fail')} failed, ${n('error')} errors, ${n('skip')} skipped; exit ${m.exitCode}`);
  return out.join('\n') + '\n';
}

function htmlPage(k: MergedKernel): string | undefined {
  return k.report ? conformHtml(k.report, timingLine(k.report), `peerprop ${packageVersion()} (merged from shards ${[...new Set(k.shards)].join(', ')})`) : undefined;
}

export function renderMerged(m: MergedReport, format: MergeFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(mergedToJson(m), null, 2) + '\n';
    case 'ktap':
      return toKtap(mergedResults(m), [headline(m)]);
    case 'junit':
      return toJunit('peerprop conform', mergedResults(m));
    case 'kcidb':
      return mergedKcidb(m);
    case 'html': {
      // one page per kernel: several kernels need --out
      if (m.kernels.length !== 1) throw badInput(`--format html writes one page per kernel: ${m.kernels.length} kernels need --out DIR`);
      const page = htmlPage(m.kernels[0]!);
      if (!page) throw badInput(`no shard could boot ${m.kernels[0]!.spec}: no HTML report (see --format text)`);
      return page;
    }
    default:
      return mergedText(m);
  }
}

/** Every format into `dir`: merged.json, merged.ktap, merged.junit.xml, merged.kcidb.json, merged.txt, one HTML page per kernel. */
export async function writeMerged(m: MergedReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['merged.json', renderMerged(m, 'json')],
    ['merged.ktap', renderMerged(m, 'ktap')],
    ['merged.junit.xml', renderMerged(m, 'junit')],
    ['merged.kcidb.json', renderMerged(m, 'kcidb')],
    ['merged.txt', renderMerged(m, 'text')],
  ];
  m.kernels.forEach((k, i) => {
    const page = htmlPage(k);
    if (page) files.push([`conform-${i + 1}-${k.spec.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+/, '')}.html`, page]);
  });
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
