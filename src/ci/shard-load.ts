/**
 * Reading the shard documents `peerprop merge` is given: directories (searched for *.json) and
 * files. A file that is cut short, empty or not what `conform --shard` writes is bad input naming
 * the file; in a directory, JSON that is not a shard (a kept report.json, a KCIDB file) is passed
 * over with a note.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { badInput } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { SHARD_FORMAT, SHARD_VERSION, type ShardDocument } from './shard.ts';

export interface LoadedShard {
  file: string;
  doc: ShardDocument;
}

export async function loadShards(args: readonly string[]): Promise<LoadedShard[]> {
  if (args.length === 0) throw badInput('merge: give the directories (or files) holding the shards\' JSON');
  const out: LoadedShard[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const st = await stat(arg);
    const explicit = !st.isDirectory();
    for (const file of explicit ? [arg] : await jsonFiles(arg)) {
      // the same file reached through two arguments (or two spellings of its path) is one shard
      if (seen.has(resolve(file))) continue;
      seen.add(resolve(file));
      const doc = await readShard(file, explicit);
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

/** *.json below `dir`, in code-unit order (the same on every machine). */
async function jsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of entries) {
    const p = join(dir, name);
    const st = await stat(p);
    if (st.isDirectory()) out.push(...(await jsonFiles(p)));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

async function readShard(file: string, explicit: boolean): Promise<ShardDocument | undefined> {
  const text = await readFile(file, 'utf8');
  if (text.trim() === '') throw badInput('empty file: the shard job wrote no result (did its conform fail before writing?)', { file });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw badInput(`not JSON, or cut short: ${(err as Error).message}`, { file });
  }
  const o = doc as Partial<ShardDocument> | null;
  if (!o || typeof o !== 'object' || o.format !== SHARD_FORMAT) {
    if (explicit) throw badInput(`not a shard result of conform --shard (no "format": "${SHARD_FORMAT}")`, { file });
    log.info(`merge: ${file}: not a shard result, passed over`);
    return undefined;
  }
  if (o.version !== SHARD_VERSION) throw badInput(`shard format version ${String(o.version)}; this peerprop reads version ${SHARD_VERSION}`, { file });
  validate(o as ShardDocument, file);
  return o as ShardDocument;
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isInt = (v: unknown): v is number => Number.isInteger(v);

/** The fields merge relies on; anything else missing means the file is not whole. */
function validate(d: ShardDocument, file: string): void {
  const bad = (what: string) => badInput(`damaged shard result: ${what}`, { file });
  if (!d.matrix || !isStr(d.matrix.id) || !isStrs(d.matrix.kernels) || !isStrs(d.matrix.scenarios) || !isInt(d.matrix.shards) || !isInt(d.matrix.partition)) throw bad('no matrix (id, kernels, scenarios, shards, partition)');
  if (!d.shard || !isInt(d.shard.index) || !isInt(d.shard.total) || !Array.isArray(d.shard.work)) throw bad('no shard (index, total, work)');
  if (!d.shard.work.every((w) => w && isStr(w.kernel) && isStr(w.scenario))) throw bad('shard.work is not a list of {kernel, scenario}');
  if (!d.run || !(d.run.id === null || isStr(d.run.id))) throw bad('no run id (null or a string)');
  if (!d.options || !isInt(d.options.smp)) throw bad('no options');
  if (!isStr(d.peerprop)) throw bad('no peerprop version');
  if (!isInt(d.exitCode)) throw bad('no exit code');
  if (!Array.isArray(d.runs)) throw bad('no runs');
  for (const [i, r] of d.runs.entries()) {
    if (!r || !isStr(r.kernel) || !isStrs(r.scenarios)) throw bad(`runs[${i}] has no kernel and scenarios`);
    if (r.error) {
      if (!isStr(r.error.message) || !isInt(r.error.exitCode)) throw bad(`runs[${i}].error is not {message, exitCode}`);
      continue;
    }
    const rep = r.report as Record<string, unknown> | undefined;
    const k = rep?.kernel as Record<string, unknown> | undefined;
    if (!rep || !k || !isStr(k.release) || !isStr(k.description) || !isStr(rep.era) || !Array.isArray(rep.scenarios) || !Array.isArray(rep.problems) || !isInt(rep.exitCode)) {
      throw bad(`runs[${i}] (${r.kernel}) has neither a whole conform report nor an error`);
    }
    for (const v of rep.scenarios as unknown[]) {
      const s = v as Record<string, unknown> | null;
      if (!s || !isStr(s.name) || !isStr(s.status) || !s.contract || !s.mechanism) throw bad(`runs[${i}] (${r.kernel}) has a scenario verdict without name, status, contract and mechanism`);
    }
  }
}
