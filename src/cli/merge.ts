import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { log } from '../core/log.ts';
import { MERGE_FORMATS, type MergeFormat } from '../ci/formats.ts';

/** `peerprop merge`: join the JSON of a matrix's shards into one report (src/ci/merge.ts). */
export const registerMerge: RegisterCommand = (program, io, state) => {
  program
    .command('merge')
    .description(
      "join the shards' JSON (conform --shard I/N --format json) into one report; a missing, duplicated " +
        'or foreign shard is refused (exit 2, naming the file); otherwise the exit code is the worst kernel\'s',
    )
    .argument('<dirs...>', 'directories (searched for *.json) or files holding the shards')
    .addOption(formatOption(MERGE_FORMATS, 'text'))
    .option('--out <dir>', 'write every format into DIR (merged.json, .ktap, .junit.xml, .kcidb.json, .txt, one HTML page per kernel) besides --format on stdout')
    .action(
      bindAction(state, async (dirs: string[], o: { format: MergeFormat; out?: string }) => {
        const { loadShards } = await import('../ci/shard-load.ts');
        const { mergeShards } = await import('../ci/merge.ts');
        const { renderMerged, writeMerged } = await import('../ci/merge-render.ts');
        const merged = mergeShards(await loadShards(dirs), dirs.join(' '));
        if (o.out) for (const f of await writeMerged(merged, o.out)) log.info(`wrote ${f}`);
        io.stdout.write(renderMerged(merged, o.format));
        return merged.exitCode;
      }),
    );
};
