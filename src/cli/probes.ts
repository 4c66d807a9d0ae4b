import { Option } from 'commander';
import type { RegisterCommand } from './io.ts';
import { bindAction, formatOption } from './io.ts';
import { PROBE_FORMATS, type ProbesCommandFormat } from '../probes/formats.ts';
import { ERAS } from '../model/types.ts';
import { log } from '../core/log.ts';

/** `peerprop probes`: generated kprobe_events / bpftrace probes for a kernel (src/probes). */
export const registerProbes: RegisterCommand = (program, io, state) => {
  program
    .command('probes')
    .description(
      'print the genid-protocol probes for a kernel, generated from its BTF (or DWARF)\n' +
        'as kprobe_events lines, a bpftrace script, the JSON probe set, or the probe map for `replay --probes`\n' +
        'exit 0 printed, 2 bad input (not a kernel image), 3 environment missing (no apt, no BTF)',
    )
    .option('--kernel <kernel>', 'debian (6.1 cloud), debian-6.12, debian-rt (6.1 PREEMPT_RT), a bzImage/vmlinuz path, or a directory with bzImage + vmlinux[.xz] + System.map', 'debian')
    .addOption(new Option('--era <era>', "protocol era (default: from the kernel's code: symbols, types)").choices(ERAS as unknown as string[]))
    .addOption(formatOption(PROBE_FORMATS, 'kprobe'))
    .addOption(new Option('--syntax <syntax>', 'probe syntax (default: the richest the kernel takes)').choices(['regs', 'btf']))
    .option('--group <name>', 'trace event group', 'rtg')
    .option('--extra <functions...>', 'also probe noisy functions (dst_release)')
    .option('--modules <dir>', 'with a PATH kernel: its modules directory')
    .option('--vmlinux <file>', 'with a PATH kernel: a vmlinux with BTF or DWARF for the types')
    .option('--offline', 'never call apt: use a cached Debian kernel only')
    .action(
      bindAction(state, async (opts: { kernel: string; era?: string; format: ProbesCommandFormat; syntax?: string; group?: string; extra?: string[]; modules?: string; vmlinux?: string; offline?: boolean }) => {
        // The generator (kernel types, BTF/DWARF) is loaded only when this command runs.
        const { runProbes } = await import('../probes/command.ts');
        return runProbes(opts, io.stdout, (s) => log.info(s));
      }),
    );
};
