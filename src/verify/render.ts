/** Text and JSON renderings of a VerifyReport (stdout; logs go to stderr elsewhere). */
import type { Divergence, VerifyReport } from './index.ts';
import { formatOp } from './explain.ts';
import { verifyHtml } from '../report/html/verify.ts';
import { patchTextFor } from '../report/html/patch-text.ts';
import { packageVersion } from '../core/version.ts';

export { VERIFY_FORMATS, type VerifyFormat } from './formats.ts';
import type { VerifyFormat } from './formats.ts';

/** Every format but kcidb (output.ts: the KCIDB mapping reuses this module's divergence lines). */
export function renderVerify(r: VerifyReport, format: Exclude<VerifyFormat, 'kcidb'>): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  if (format === 'html') return verifyHtml(r, patchTextFor(r.patch), r.ok ? 0 : 1, `peerprop ${packageVersion()}`, { op: formatOp, state: renderState });
  return renderText(r);
}

/** What each stage of the 2.6.39-3.5 history is, in one phrase. */
const STAGE_WORDS: Record<string, string> = {
  S2: 'PMTU/redirect bumpers of 2.6.39',
  S3: 'explicit-destination rt_bind_peer of 3.0-3.1',
  S4: 'ipv4_validate_peer and redirect_genid of 3.2',
  S5: 'inetpeer tree invalidation of 3.3-3.5',
};

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

function renderText(r: VerifyReport): string {
  const out: string[] = [];
  const from =
    r.origin === 'tree' ? `post-image of ${r.patch}` : r.origin === 'patch-hunks' ? `hunks of ${r.patch}` : 'source';
  out.push(`peerprop verify: ${r.file} (${from}), era ${r.era}: ${r.eraReason}`);
  out.push(`functions: ${r.functions.map((f) => `${f.name}() at line ${f.line}`).join(', ')}`);
  for (const s of r.strategies) {
    const status = s.ok ? 'ok  ' : 'FAIL';
    const ce = s.counterexampleLength !== undefined ? `, counterexample of ${s.counterexampleLength} operations` : '';
    out.push(`  ${status} ${s.strategy.padEnd(13)} ${String(s.checked).padStart(7)} checked in ${(s.ms / 1000).toFixed(1)} s${ce} — ${s.scope}`);
  }
  if (r.stage) out.push(`model stage: ${r.stage} (the ${STAGE_WORDS[r.stage]} of the 2.6.39-3.5 history)`);
  for (const x of r.excludedOperations) out.push(`  operation ${x.op} not checked: ${x.reason}`);
  for (const n of r.notEvaluated) {
    out.push(`  not evaluated (no operation reached it): ${n.file}:${n.line}:${n.column}: ${n.message}`);
  }
  if (r.ok) {
    out.push('PASS: the C functions behave as the model says in every sequence and schedule checked.');
    return out.join('\n') + '\n';
  }
  out.push(...renderDivergence(r.divergence!));
  return out.join('\n') + '\n';
}

/** One line: global genid, each route's peer and genid, each peer's references, the check result. */
export function renderState(o: Divergence['expectedState']): string {
  const parts: string[] = [];
  if (o.genid !== undefined) parts.push(`genid ${hex(o.genid)}`);
  for (const r of o.routes) parts.push(`route ${r.id} {peer ${r.peer ?? 'NULL'}${o.genid !== undefined ? `, rt_peer_genid ${hex(r.peerGenid)}` : ''}}`);
  const peers = Object.keys(o.peers).sort();
  parts.push(peers.length ? `peers {${peers.map((p) => `${p} refcnt ${o.peers[p]}`).join(', ')}}` : 'no peers');
  if (o.valid !== undefined) parts.push(`check returned ${o.valid ? 'dst' : 'NULL'}`);
  if (o.fault) parts.push(`fault: ${o.fault}`);
  return parts.join('; ');
}

export function renderDivergence(d: Divergence): string[] {
  const out: string[] = [];
  out.push(`DIVERGENCE (${d.strategy}, ${d.length} operations, global genid starting at ${hex(d.initialGenid)}):`);
  if (d.concurrent) {
    const c = d.concurrent;
    out.push(`  scenario: ${c.scenario}`);
    c.setup.forEach((op, i) => out.push(`  ${i + 1}. ${formatOp(op)}`));
    out.push(`  then at once: CPU0 ${c.cpus[0].map(formatOp).join('; ')}  ||  CPU1 ${c.cpus[1].map(formatOp).join('; ')}`);
    out.push('  schedule (each step is one shared-memory access):');
    c.schedule.forEach((s) => out.push(`    CPU${s.cpu}: ${s.what}`));
    for (const r of c.races) out.push(`  race on ${r.target}: ${r.accesses.join(', ')}`);
    out.push('  final state is not one the model allows in any schedule; nearest allowed state differs in:');
  } else {
    d.ops.forEach((op, i) => out.push(`  ${i + 1}. ${formatOp(op)}${i === d.step ? '   <- diverges here' : ''}`));
  }
  for (const f of d.diffs) out.push(`  ${f.field}: model ${String(f.expected)}, C ${String(f.actual)}`);
  out.push(`  model state: ${renderState(d.expectedState)}`);
  out.push(`  C state:     ${renderState(d.actualState)}`);
  if (d.cLine) {
    const l = d.cLine;
    const role =
      l.role === 'wrote'
        ? `wrote ${d.field}`
        : l.role === 'branch'
          ? `no C statement wrote ${d.field}; last branch decided`
          : l.role === 'returned'
            ? 'returned'
            : l.role === 'declaration'
              ? 'declared the counter'
              : l.role === 'fault'
                ? 'the C faulted here'
                : l.role === 'race'
                  ? 'plain store racing with the other CPU'
                  : 'last statement';
    const patch = l.patchLine !== undefined ? ` (patch line ${l.patchLine}${l.added ? ', added by the patch' : ''})` : '';
    const where = l.role === 'declaration' ? '' : ` in ${l.function}()`;
    out.push(`  C line (${role}): ${l.file}:${l.line}:${l.column}${where}: ${l.text}${patch}`);
  }
  for (const v of d.violates ?? []) out.push(`  breaks the model's invariant ${v.invariant}: ${v.description} (${v.message})`);
  if (d.executed?.length) {
    out.push('  C executed in the divergent step:');
    for (const e of d.executed) out.push(`    ${e}`);
  }
  return out;
}
