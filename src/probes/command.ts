/**
 * `peerprop probes`: resolve the kernel, generate its probes, print them in one format.
 * The CLI module only parses argv and calls this.
 */
import type { Writable } from 'node:stream';
import { ERAS, type Era } from '../model/types.ts';
import { badInput, ExitCode } from '../core/errors.ts';
import { resolveKernel } from '../kernel/resolve.ts';
import { generateProbes } from './generate.ts';
import { renderProbes } from './render.ts';
import type { ProbeSyntax } from './types.ts';

export { PROBE_FORMATS, type ProbesCommandFormat } from './formats.ts';
import type { ProbesCommandFormat } from './formats.ts';

export interface ProbesCommandOptions {
  kernel: string;
  era?: string;
  format: ProbesCommandFormat;
  syntax?: string;
  group?: string;
  extra?: string[];
  modules?: string;
  vmlinux?: string;
  offline?: boolean;
  cacheDir?: string;
}

export async function runProbes(opts: ProbesCommandOptions, out: Writable, log?: (s: string) => void): Promise<ExitCode> {
  if (opts.era !== undefined && !(ERAS as readonly string[]).includes(opts.era)) {
    throw badInput(`--era expects one of ${ERAS.join(', ')}, got ${JSON.stringify(opts.era)}`);
  }
  if (opts.syntax !== undefined && opts.syntax !== 'regs' && opts.syntax !== 'btf') {
    throw badInput(`--syntax expects regs or btf, got ${JSON.stringify(opts.syntax)}`);
  }
  if (opts.group !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.group)) {
    throw badInput(`--group must be a C identifier, got ${JSON.stringify(opts.group)}`);
  }
  const kernel = await resolveKernel(opts.kernel, {
    modulesDir: opts.modules, vmlinux: opts.vmlinux, offline: opts.offline, cacheDir: opts.cacheDir, ...(log ? { log } : {}),
  });
  const set = await generateProbes(kernel, {
    era: opts.era as Era | undefined,
    syntax: opts.syntax as ProbeSyntax | undefined,
    group: opts.group,
    extra: opts.extra,
  });
  out.write(opts.format === 'map' ? JSON.stringify(set.probeMap, null, 2) + '\n' : renderProbes(set, opts.format));
  return ExitCode.Clean;
}
