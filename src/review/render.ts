/**
 * The review report as text (for a person), JSON (for scripts) and SARIF 2.1.0 (for
 * code-review annotations: code findings on post-image lines of the repository file,
 * damage on patch lines).
 */
import { toSarif, type SarifFinding } from '../report/sarif.ts';
import type { FunctionFacts } from '../csrc/facts.ts';
import { sarifRules } from './rules.ts';
import type { Finding, FunctionReview, ReviewReport } from './types.ts';
import { packageVersion } from '../core/version.ts';
import { reviewHtml } from '../report/html/review.ts';
import { patchTextFor } from '../report/html/patch-text.ts';

export { REVIEW_FORMATS, type ReviewFormat } from './formats.ts';
import type { ReviewFormat } from './formats.ts';

const toolVersion = packageVersion;

const LEVEL_WORD: Record<Finding['level'], string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

/** `FILE:LINE: LEVEL: message [rule] (patch FILE:LINE)`, like checkpatch. */
export function findingLine(f: Finding): string {
  const where = `${f.file}:${f.line}${f.column ? `:${f.column}` : ''}`;
  const patch = f.patch && (f.patch.file !== f.file || f.patch.line !== f.line) ? ` (patch line ${f.patch.line})` : '';
  return `${where}: ${LEVEL_WORD[f.level]}: ${f.message} [${f.ruleId}]${patch}`;
}

type FactKind = 'reads' | 'stamps' | 'comparisons' | 'binds' | 'cmpxchgs' | 'bumps' | 'returns' | 'counters' | 'obsolete' | 'fnheUpdates';
const KINDS: { kind: FactKind; label: string }[] = [
  { kind: 'reads', label: 'genid reads' },
  { kind: 'stamps', label: 'stamps' },
  { kind: 'comparisons', label: 'comparisons' },
  { kind: 'binds', label: 'rt_bind_peer calls' },
  { kind: 'cmpxchgs', label: 'cmpxchg on ->peer' },
  { kind: 'bumps', label: 'genid bumps' },
  { kind: 'returns', label: 'returns' },
  { kind: 'counters', label: 'rt_genid/fnhe_genid' },
  { kind: 'obsolete', label: 'DST_OBSOLETE_*' },
  { kind: 'fnheUpdates', label: 'update_or_create_fnhe' },
];

function factLine(x: { text: string; line: number; condition?: string; position?: string; create?: string }): string {
  const cond = x.condition && x.condition !== 'true' ? `  if ${x.condition}` : '';
  const pos = x.position && x.position !== 'no-genid-block' ? `  [${x.position}]` : '';
  return `${x.text}${cond}${pos}  (line ${x.line})`;
}

function factsBlock(fr: FunctionReview): string[] {
  const out: string[] = [];
  const pre: FunctionFacts | undefined = fr.pre;
  const post: FunctionFacts | undefined = fr.post;
  for (const { kind, label } of KINDS) {
    const a = (pre?.[kind] ?? []) as unknown as { text: string; line: number; condition?: string }[];
    const b = (post?.[kind] ?? []) as unknown as { text: string; line: number; condition?: string }[];
    if (a.length === 0 && b.length === 0) continue;
    out.push(`    ${label}: ${pre ? a.length : '-'} -> ${post ? b.length : '-'}`);
    const key = (x: { text: string; condition?: string }): string => `${x.text}|${x.condition ?? ''}`;
    const before = new Set(a.map(key));
    const after = new Set(b.map(key));
    for (const x of b) out.push(`      ${before.has(key(x)) ? ' ' : '+'} ${factLine(x)}`);
    for (const x of a) if (!after.has(key(x))) out.push(`      - ${factLine(x)}`);
  }
  if (post?.genidBlock) out.push(`    genid block: if (${post.genidBlock.condition})  (lines ${post.genidBlock.line}-${post.genidBlock.endLine})`);
  return out;
}

export function renderText(r: ReviewReport): string {
  const out: string[] = [];
  const how = r.mode === 'hunks' ? 'facts from the hunks alone (partial)' : `applied in memory to ${r.target}${r.written ? ' and written' : ''}`;
  out.push(`peerprop review: ${r.patch} (${r.form}; ${how})`);
  r.commits.forEach((c, i) => {
    out.push('');
    const n = c.seriesIndex !== undefined ? `[${c.seriesIndex}/${c.seriesTotal ?? '?'}] ` : r.commits.length > 1 ? `${i + 1}. ` : '';
    out.push(`commit ${n}${c.subject || '(no subject)'}  (patch line ${c.line})`);
    if (c.author) out.push(`  Author: ${c.author}`);
    if (c.date) out.push(`  Date:   ${c.date}`);
    for (const s of c.signedOffBy) out.push(`  Signed-off-by: ${s}`);
    for (const t of c.trailers) out.push(`  ${t.key}: ${t.value}`);
  });

  out.push('', 'damage:');
  if (r.damage.length === 0) out.push('  none');
  for (const d of r.damage) {
    out.push(`  ${r.patch}:${d.line}: ${d.severity}: ${d.message}`);
    if (d.action) out.push(`    done: ${d.action}`);
  }

  out.push('', 'files:');
  for (const f of r.files) {
    out.push(`  ${f.path}${f.oldPath !== f.path ? ` (from ${f.oldPath})` : ''}  (patch line ${f.headerLine})`);
    for (const h of f.hunks) {
      const header = `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${h.section ? ` ${h.section}` : ''}`;
      const applied = h.applied
        ? `: applied at line ${h.applied.appliedLine}${h.applied.offset ? ` (offset ${h.applied.offset > 0 ? '+' : ''}${h.applied.offset} lines)` : ''}${h.applied.fuzz ? ` with fuzz ${h.applied.fuzz}` : ''}`
        : '';
      const declared = h.declared ? ` (header said -${h.oldStart},${h.declared.oldLines} +${h.newStart},${h.declared.newLines})` : '';
      out.push(`    hunk ${h.index} ${header}${declared} (patch line ${h.headerLine})${applied}`);
    }
    if (f.era) {
      const src = r.mode === 'hunks' ? ' (judged from the hunks)' : '';
      out.push(`    stage${src}: ${f.era.pre.era} -> ${f.era.post.era}`);
      out.push(`      before: ${f.era.pre.reason}`);
      out.push(`      after:  ${f.era.post.reason}`);
    }
    for (const u of f.unparsed) out.push(`    unparsed: ${u.name}() at line ${u.line}: ${u.reason}`);
  }

  out.push('', 'changed functions (facts pre -> post):');
  if (r.functions.length === 0) out.push('  none');
  for (const fr of r.functions) {
    const range = [fr.pre ? `pre ${fr.pre.startLine}-${fr.pre.endLine}` : '', fr.post ? `post ${fr.post.startLine}-${fr.post.endLine}` : ''].filter(Boolean).join(' -> ');
    out.push(`  ${fr.name} (${fr.status}; ${range})`);
    if (fr.incomplete) out.push(`    incomplete: ${fr.incomplete}`);
    out.push(...factsBlock(fr));
    for (const s of fr.statements) out.push(`    * ${s.text}`);
  }

  out.push('', 'what the patch does to the protocol:');
  if (r.statements.length === 0) out.push('  nothing (no genid/peer facts change)');
  for (const s of r.statements) out.push(`  - ${s.text}  (${s.file}:${s.line}${s.patchLine !== undefined ? `, patch line ${s.patchLine}` : ''})`);

  if (r.missing.length) {
    out.push('', 'not established (partial review):');
    for (const m of r.missing) out.push(`  - ${m}`);
  }

  out.push('', 'findings:');
  const order: Record<Finding['level'], number> = { error: 0, warning: 1, info: 2 };
  const sorted = [...r.findings].sort((a, b) => order[a.level] - order[b.level]);
  for (const f of sorted) out.push(findingLine(f));
  const count = (l: Finding['level']): number => r.findings.filter((f) => f.level === l).length;
  out.push(`total: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info`);
  return out.join('\n') + '\n';
}

export function renderJson(r: ReviewReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

export function renderSarif(r: ReviewReport): string {
  const level = (l: Finding['level']): SarifFinding['level'] => (l === 'info' ? 'note' : l);
  const results: SarifFinding[] = r.findings.map((f) => ({
    ruleId: f.ruleId,
    level: level(f.level),
    message: f.message,
    uri: f.file,
    startLine: f.line,
    ...(f.column ? { startColumn: f.column } : {}),
    ...(f.patch || f.function ? { properties: { ...(f.patch ? { patchFile: f.patch.file, patchLine: f.patch.line } : {}), ...(f.function ? { function: f.function } : {}) } } : {}),
  }));
  return JSON.stringify(toSarif(toolVersion(), sarifRules(r.findings), results), null, 2) + '\n';
}

/** Every format but kcidb (output.ts: the KCIDB mapping reuses this module's finding lines). */
export function renderReview(r: ReviewReport, format: Exclude<ReviewFormat, 'kcidb'>): string {
  if (format === 'html') return reviewHtml(r, patchTextFor(r.patch), `peerprop ${packageVersion()}`);
  return format === 'json' ? renderJson(r) : format === 'sarif' ? renderSarif(r) : renderText(r);
}
