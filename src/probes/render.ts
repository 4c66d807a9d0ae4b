import { renderBpftrace } from './bpftrace.ts';
import { renderKprobeEvents } from './kprobe.ts';
import type { ProbeFormat, ProbeSet } from './types.ts';

/** `peerprop probes --format`: kprobe_events text, a bpftrace script, or the whole ProbeSet as JSON. */
export function renderProbes(set: ProbeSet, format: ProbeFormat): string {
  switch (format) {
    case 'kprobe':
      return renderKprobeEvents(set);
    case 'bpftrace':
      return renderBpftrace(set);
    case 'json':
      return JSON.stringify(set, null, 2) + '\n';
  }
}
