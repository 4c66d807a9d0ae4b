
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { badInput, ExitCode } from '../core/errors.ts';
import { log } from '../core/log.ts';

interface KernelBuildCliOptions {
  tree?: string;
  git?: string;
  rev?: string;
  out?: string;
  jobs?: string;
  rebuild?: boolean;
  ccache: boolean;
  format: 'text' | 'json';
}

/** `peerprop kernel build`: a bootable test kernel from a source tree or a git revision (src/harness/build). */
export const registerKernel: RegisterCommand = (program, io, state) => {
  const kernel = program.command('kernel').description('kernels for `conform`: build one from source');
  kernel
    .command('build')
    .description(
      'build a test kernel (bzImage, vmlinux with DWARF, System.map, config) from a source tree or a git revision,\n' +
        'seed era (2.6.39 .. 3.x) or modern; the tree is copied to a scratch directory, never modified; the fixes an\n' +
        'old tree needs with this compiler are applied there and reported; the result is cached by content.\n' +
        'exit 0 built, 2 not a kernel tree or an unknown era, 3 toolchain missing or the build failed',
    )
    .option('--tree <dir>', 'a kernel source tree (read only)')
    .option('--git <repo>', 'a git repository with kernel history (with --rev)')
    .option('--rev <rev>', 'the revision of --git to build')
    .option('--out <dir>', 'also put the kernel files here (same layout as the cache)')
    .option('--jobs <n>', 'make -j (default: the number of CPUs)')
    .option('--rebuild', 'build even when the cache has this kernel (ccache still serves the objects)')
    .option('--no-ccache', 'do not use ccache')
    .addOption(formatOption(['text', 'json'] as const, 'text'))
    .action(
      bindAction(state, async (o: KernelBuildCliOptions) => {
        if (o.rev && !o.git) throw badInput('--rev needs --git REPO');
        const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
        if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw badInput(`--jobs: not a positive integer: ${o.jobs}`);
        const { buildKernel, renderBuilt } = await import('../harness/build/index.ts');
        const k = await buildKernel({ tree: o.tree, git: o.git, rev: o.rev, out: o.out, jobs, rebuild: o.rebuild, ccache: o.ccache, log: (s) => log.info(s) });
        io.stdout.write(renderBuilt(k, o.format));
        return ExitCode.Clean;
      }),
    );
};
