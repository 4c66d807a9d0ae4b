import type { Io } from './io.ts';
import { badInput, type ExitCode } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { Era } from '../model/types.ts';

/** `conform --shard I/N`: the options of one matrix shard, passed to src/ci/shard.ts. */
export async function runConformShard(
  o: { kernel: string[]; scenario?: string[]; shard: string; runId?: string; format: string; accel: 'auto' | 'tcg' | 'kvm'; era?: Era; keep?: string; timeoutS: number; cpus: number },
  io: Io,
): Promise<ExitCode> {
  const { parseShard } = await import('../ci/work.ts');
  const { SHARD_FORMATS } = await import('../ci/shard-render.ts');
  const shard = parseShard(o.shard);
  if (!(SHARD_FORMATS as readonly string[]).includes(o.format)) throw badInput(`--shard prints ${SHARD_FORMATS.join(', ')} (merge the shards for ktap, junit, html or kcidb), not ${o.format}`);
  if (!o.scenario || o.scenario.length === 0) throw badInput('--shard needs the matrix\'s --scenario list (the set is cut into shards before any kernel is booted)');
  const { runShard } = await import('../ci/shard.ts');
  const { renderShard } = await import('../ci/shard-render.ts');
  const result = await runShard({
    kernels: o.kernel,
    scenarios: o.scenario,
    shard,
    cpus: o.cpus,
    era: o.era,
    accel: o.accel,
    timeoutS: o.timeoutS,
    keep: o.keep,
    runId: o.runId,
    log: (s) => log.info(s),
  });
  io.stdout.write(renderShard(result, o.format as 'json' | 'text' | 'ktap'));
  return result.doc.exitCode;
}
