import type { ProbeSet } from './types.ts';

/** The explanatory header every format carries (as # or // comments). */
export function headerLines(set: ProbeSet): string[] {
  const k = set.kernel;
  const out: string[] = [
    `peerprop probes for ${k.release} (${k.version.join('.')}), era ${set.era}, ${set.syntax === 'btf' ? 'BTF-style arguments' : 'register syntax'}`,
    `kernel: ${k.banner}`,
    `types: ${k.btf}`,
  ];
  const via = set.coverage.filter((c) => c.status === 'via-caller');
  if (via.length) {
    out.push('observed via callers (inlined or not probed directly):');
    for (const c of via) out.push(`  ${c.function} (${c.role}) -> ${c.via?.join(', ')}`);
  }
  const unresolved = set.coverage.filter((c) => c.status === 'unresolved');
  if (unresolved.length) out.push(`resolved in the guest's kallsyms: ${unresolved.map((c) => c.function).join(', ')}`);
  const absent = set.coverage.filter((c) => c.status === 'absent');
  if (absent.length) out.push(`not in this kernel (its DWARF has no such function): ${absent.map((c) => c.function).join(', ')}`);
  const not = set.coverage.filter((c) => c.status === 'not-observable');
  if (not.length) {
    out.push('not observable:');
    for (const c of not) out.push(`  ${c.function}: ${c.reason}`);
  }
  if ('dropped' in set && Array.isArray((set as { dropped?: unknown[] }).dropped)) {
    for (const d of (set as unknown as { dropped: { event: string; reason: string }[] }).dropped) out.push(`dropped ${d.event}: ${d.reason}`);
  }
  for (const n of set.notes) out.push(`note: ${n}`);
  return out;
}
