/** The one line `peerprop ci` prints: the exit code, each part's outcome, where the reports are. */
import type { CiPart } from './types.ts';

function outcome(p: CiPart): string {
  if (p.error !== undefined) return `exit ${p.exitCode} (${p.error.length > 80 ? p.error.slice(0, 79) + '…' : p.error})`;
  switch (p.kind) {
    case 'review': {
      const errors = p.report!.findings.filter((f) => f.level === 'error').length;
      return `${errors} error finding(s)${p.report!.partial ? ', partial' : ''}`;
    }
    case 'verify':
      return p.report!.ok ? 'agrees with the model' : `divergence (${p.report!.divergence?.strategy ?? '?'})`;
    case 'scan': {
      const e = p.entries!;
      const n = (s: string) => e.filter((x) => x.verdict.status === s).length;
      return `${e.length} target(s): ${n('pass')} pass, ${n('divergence')} divergence, ${n('skipped')} skipped`;
    }
    case 'conform': {
      const s = p.report!.scenarios;
      const n = (x: string) => s.filter((v) => v.status === x).length;
      return `${p.report!.kernel.release}: ${n('pass')}/${s.length} scenarios pass${n('fail') ? `, ${n('fail')} fail` : ''}${n('error') ? `, ${n('error')} error` : ''}${p.report!.problems.length ? `, run problem: ${p.report!.problems[0]!.kind}` : ''}`;
    }
  }
}

export function summaryLine(parts: readonly CiPart[], exitCode: number, out: string, durationMs: number): string {
  const each = parts.map((p) => `${p.kind} ${p.kind === 'conform' ? p.kernel : p.kind === 'scan' ? p.target : p.patch}: ${outcome(p)}`);
  return `peerprop ci: exit ${exitCode} in ${(durationMs / 1000).toFixed(1)} s; ${each.join('; ')}; reports in ${out}`;
}
