/**
 * The kernel × scenario work of a CI matrix and its stable partition into shards.
 *
 * The same arguments give the same shards on any machine, in any locale, whatever order the
 * names were written in:
 *   - kernels are de-duplicated and sorted by UTF-16 code units (never `localeCompare`),
 *   - scenarios are de-duplicated and put in the scenario catalogue's order,
 *   - the pairs are listed kernel-major, and shard I of N takes the contiguous block
 *     [floor((I-1)·M/N), floor(I·M/N)) of the M pairs.
 * Blocks differ in size by at most one pair, and a shard boots each kernel of its block once,
 * so N shards boot at most K + N - 1 kernels in all (round-robin would boot K · N).
 *
 *   const set = workSet(['debian-6.12', 'debian'], ['tcp-pmtu', 'udp-pmtu']);
 *   sliceOf(set, { index: 1, total: 2 })   // [{ kernel: 'debian', scenario: 'udp-pmtu' }, { kernel: 'debian', scenario: 'tcp-pmtu' }]
 */
import { createHash } from 'node:crypto';
import { badInput } from '../core/errors.ts';
import { SCENARIO_NAMES } from '../harness/scenarios.ts';

/** Bumped whenever the partition rule changes: shards cut by another rule never merge. */
export const PARTITION_VERSION = 1;

export interface WorkSet {
  /** Sorted by code units, unique. */
  kernels: string[];
  /** In catalogue order, unique. */
  scenarios: string[];
}

export interface WorkItem {
  kernel: string;
  scenario: string;
}

export interface ShardSpec {
  /** 1-based. */
  index: number;
  total: number;
}

/** Shards an engine runs at most: GitHub Actions caps a matrix at 256 jobs, GitLab at 200. */
export const MAX_SHARDS = 256;

/** The canonical work set; unknown scenarios and unusable kernel names are bad input. */
export function workSet(kernels: readonly string[], scenarios: readonly string[], what = { kernels: '--kernels', scenarios: '--scenarios' }): WorkSet {
  const ks = splitNames(kernels);
  if (ks.length === 0) throw badInput(`${what.kernels}: no kernel given`);
  for (const k of ks) {
    // The name travels through CI variables and shell words unquoted.
    if (/[\s'"`$\\]/.test(k)) throw badInput(`${what.kernels}: kernel "${k}" has a space, quote, backslash or $ (it is passed to conform as a shell word)`);
  }
  const ss = splitNames(scenarios);
  if (ss.length === 0) throw badInput(`${what.scenarios}: no scenario given (known: ${SCENARIO_NAMES.join(', ')})`);
  for (const s of ss) if (!SCENARIO_NAMES.includes(s)) throw badInput(`${what.scenarios}: unknown scenario "${s}" (known: ${SCENARIO_NAMES.join(', ')})`);
  return {
    kernels: [...new Set(ks)].sort(byCodeUnits),
    scenarios: SCENARIO_NAMES.filter((n) => ss.includes(n)),
  };
}

/** Names may also come comma-separated (one CI variable). */
function splitNames(names: readonly string[]): string[] {
  return names.flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every pair, kernel-major. */
export function workItems(set: WorkSet): WorkItem[] {
  return set.kernels.flatMap((kernel) => set.scenarios.map((scenario) => ({ kernel, scenario })));
}

/** The pairs shard `spec` runs (may be empty when there are more shards than pairs). */
export function sliceOf(set: WorkSet, spec: ShardSpec): WorkItem[] {
  const items = workItems(set);
  const m = items.length;
  return items.slice(Math.floor(((spec.index - 1) * m) / spec.total), Math.floor((spec.index * m) / spec.total));
}

/** The slice grouped by kernel, in the slice's order: one boot per group. */
export function groupByKernel(items: readonly WorkItem[]): { kernel: string; scenarios: string[] }[] {
  const out: { kernel: string; scenarios: string[] }[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (last?.kernel === it.kernel) last.scenarios.push(it.scenario);
    else out.push({ kernel: it.kernel, scenarios: [it.scenario] });
  }
  return out;
}

/** `I/N` with 1 <= I <= N <= MAX_SHARDS. */
export function parseShard(text: string, option = '--shard'): ShardSpec {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || total < 1 || index > total || total > MAX_SHARDS) {
    throw badInput(`${option}: expected I/N with 1 <= I <= N <= ${MAX_SHARDS}, not "${text}"`);
  }
  return { index, total };
}

/** A positive shard count for `matrix --shards`. */
export function parseShardCount(text: string, pairs: number): number {
  const n = /^\d{1,4}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_SHARDS)) throw badInput(`--shards: expected a number of shards 1..${MAX_SHARDS}, not "${text}"`);
  // An empty shard would boot nothing and still cost a CI job.
  if (n > pairs) throw badInput(`--shards: ${n} shards for ${pairs} kernel x scenario pair${pairs === 1 ? '' : 's'} (at most one shard per pair)`);
  return n;
}

/**
 * The identity of a matrix: the work set, the shard count and the partition rule. Shards whose
 * identities differ were cut from different matrices and never merge.
 */
export function matrixId(set: WorkSet, total: number): string {
  const canonical = JSON.stringify({ partition: PARTITION_VERSION, kernels: set.kernels, scenarios: set.scenarios, shards: total });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
