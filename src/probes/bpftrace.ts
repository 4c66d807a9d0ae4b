/**
 * The same probes as a bpftrace script, for users on modern kernels with BTF: kprobe/kretprobe
 * with casts to the kernel's own struct types (portable across bpftrace versions, unlike the
 * kfunc/fentry argument syntax). Each probe prints an ftrace-shaped line
 * (`comm-pid [cpu] secs: EVENT: (sym) name=value ...`), so the same probe map reads
 * `bpftrace -f json` output. Return probes get their caller and any arguments they read
 * from maps filled at function entry.
 */
import type { ProbeDef, ProbeField, ProbeSet } from './types.ts';
import { headerLines } from './header.ts';

function fmt(f: ProbeField): string {
  if (f.type.startsWith('b')) return f.signed ? '%d' : '%u';
  switch (f.as) {
    case 'pointer':
      return '0x%llx';
    case 'ipv4':
    case 'hex':
      return (f.size ?? 4) > 4 ? '0x%llx' : '0x%x';
    default:
      if ((f.size ?? 4) > 4) return f.signed ? '%lld' : '%llu';
      return f.signed ? '%d' : '%u';
  }
}

/** The C expression of a field with argN replaced by what this probe can read. */
function valueExpr(f: ProbeField, onReturn: boolean, saved: (n: number) => string): string {
  let c = f.c ?? '0';
  if (onReturn) c = c.replace(/\barg([0-5])\b/g, (_m, n: string) => saved(Number(n)));
  // Casts of plain scalars keep the printf type stable.
  if (f.as === 'pointer' || (f.size ?? 4) > 4) return `(uint64)(${c})`;
  if (f.type.startsWith('b')) return c;
  return f.signed ? `(int${(f.size ?? 4) * 8})(${c})` : `(uint${(f.size ?? 4) * 8})(${c})`;
}

const mapName = (p: ProbeDef, what: string) => `@${p.event.replace(/[^A-Za-z0-9_]/g, '_')}_${what}`;

function renderProbe(p: ProbeDef, all: ProbeDef[]): string[] {
  const fields = p.fields.filter((f) => f.c !== undefined);
  const out: string[] = [];
  const ret = p.type === 'r' || p.type === 'fret';
  const ts = 'nsecs / 1000000000, (nsecs % 1000000000) / 1000';
  if (!ret) {
    const args = fields.map((f) => valueExpr(f, false, () => '0'));
    const text = [`${p.event}: (${p.symbol})`, ...fields.map((f) => `${f.name}=${fmt(f)}`)].join(' ');
    out.push(`kprobe:${p.symbol}`, '{');
    out.push(`  printf("%s-%d [%03d] %llu.%06llu: ${text}\\n", comm, tid, cpu, ${ts}${args.map((a) => `,\n         ${a}`).join('')});`);
    out.push('}');
    return out;
  }
  // Return probe: save the caller (the return address at entry) and the arguments it reads.
  const argsUsed = [...new Set(fields.flatMap((f) => (f.c && /\barg[0-5]\b/.test(f.c) ? [...f.c.matchAll(/\barg([0-5])\b/g)].map((m) => Number(m[1])) : [])))].sort();
  const sharesEntry = all.some((q) => q !== p && q.symbol === p.symbol && (q.type === 'p' || q.type === 'f'));
  out.push(`kprobe:${p.symbol}${sharesEntry ? ` // also saves state for ${p.event}` : ''}`, '{');
  out.push(`  ${mapName(p, 'caller')}[tid] = *(uint64 *)reg("sp");`);
  for (const n of argsUsed) out.push(`  ${mapName(p, `arg${n}`)}[tid] = arg${n};`);
  out.push('}');
  const args = fields.map((f) => valueExpr(f, true, (n) => `${mapName(p, `arg${n}`)}[tid]`));
  const text = [`${p.event}: (%s <- ${p.symbol})`, ...fields.map((f) => `${f.name}=${fmt(f)}`)].join(' ');
  out.push(`kretprobe:${p.symbol}`, '{');
  out.push(`  printf("%s-%d [%03d] %llu.%06llu: ${text}\\n", comm, tid, cpu, ${ts},\n         ksym(${mapName(p, 'caller')}[tid])${args.map((a) => `,\n         ${a}`).join('')});`);
  out.push(`  delete(${mapName(p, 'caller')}[tid]);`);
  for (const n of argsUsed) out.push(`  delete(${mapName(p, `arg${n}`)}[tid]);`);
  out.push('}');
  return out;
}

export function renderBpftrace(set: ProbeSet): string {
  const lines: string[] = ['#!/usr/bin/env bpftrace'];
  for (const h of headerLines(set)) lines.push(`// ${h}`.trimEnd());
  lines.push('// Run: bpftrace -f json THIS_FILE > trace.ndjson ; peerprop replay trace.ndjson --probes MAP.json', '');
  lines.push('BEGIN', '{', '  printf("tracing %d probes; Ctrl-C to stop\\n", ' + set.probes.length + ');', '}', '');
  for (const p of set.probes) {
    lines.push(`// ${p.event}: ${p.why}`);
    if (p.symbol.includes('.')) lines.push(`// (${p.symbol} is a compiler clone: its name may differ on your build)`);
    lines.push(...renderProbe(p, set.probes), '');
  }
  return lines.join('\n');
}
