/** probes' output formats (light: the CLI lists them without loading the generator). */
export const PROBE_FORMATS = ['kprobe', 'bpftrace', 'json', 'map'] as const;
export type ProbesCommandFormat = (typeof PROBE_FORMATS)[number];
