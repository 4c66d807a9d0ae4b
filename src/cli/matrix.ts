import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction } from './io.ts';
import { ExitCode } from '../core/errors.ts';
import { SCENARIO_NAMES } from '../harness/scenarios.ts';
import { MATRIX_FORMATS, planMatrix, renderMatrix, type MatrixFormat } from '../ci/matrix.ts';

/** `peerprop matrix`: print the kernel x scenario job matrix a CI engine spreads (src/ci/matrix.ts). */
export const registerMatrix: RegisterCommand = (program, io, state) => {
  program
    .command('matrix')
    .description(
      'print a job matrix for an existing CI engine: one job per shard, each running ' +
        '`conform --kernel K... --scenario S... --shard I/N --format json`; `peerprop merge` joins them ' +
        '(exit 0, 2 unknown scenario or bad shard count)',
    )
    .requiredOption('--kernels <kernel...>', 'kernels as conform --kernel takes them (debian, debian-6.12, debian-rt, a path)')
    .requiredOption('--scenarios <name...>', `scenarios: ${SCENARIO_NAMES.join(', ')}`)
    .option('--shards <n>', 'number of shards (default: one per kernel)')
    .addOption(new Option('--format <format>', 'github (strategy.matrix JSON), gitlab (child pipeline YAML), json').choices(MATRIX_FORMATS as unknown as string[]).default('json'))
    .action(
      bindAction(state, (o: { kernels: string[]; scenarios: string[]; shards?: string; format: MatrixFormat }) => {
        io.stdout.write(renderMatrix(planMatrix(o.kernels, o.scenarios, o.shards), o.format));
        return ExitCode.Clean;
      }),
    );
};
