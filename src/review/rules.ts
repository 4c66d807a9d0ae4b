/**
 * Review rules: stable ids, levels, and the checks that find them in the post-image
 * facts of the changed functions (src/model/README.md says which stage does what).
 */
import type { FunctionFacts, ProtocolFacts, PathTerm } from '../csrc/facts.ts';
import { allOf } from '../csrc/facts.ts';
import type { PatchDiagnostic } from '../patch/types.ts';
import type { SarifRule } from '../report/sarif.ts';
import { guardedByNoPeer } from './compare.ts';
import type { Finding, FindingLevel } from './types.ts';

export interface RuleInfo {
  id: string;
  level: FindingLevel;
  name: string;
  description: string;
}

/** Every rule the review can report (patch damage adds `patch/<code>` rules). */
export const RULES: RuleInfo[] = [
  { id: 'protocol-change', level: 'info', name: 'ProtocolChange', description: 'The patch changes the route/inetpeer genid protocol (what a reviewer would note).' },
  { id: 'genid-ordered-compare', level: 'error', name: 'GenidOrderedCompare', description: 'Generation IDs wrap and are only compared for (in)equality: `<`, `>`, `<=`, `>=` make a route stop revalidating once the counter wraps.' },
  { id: 'genid-non-atomic-bump', level: 'error', name: 'GenidNonAtomicBump', description: 'The global genid is bumped with a plain ++ / += / =: concurrent bumps from PMTU and redirect paths lose updates.' },
  { id: 'genid-non-atomic', level: 'warning', name: 'GenidNonAtomic', description: 'The global genid is not an atomic_t: every CPU reads and bumps it concurrently.' },
  { id: 'genid-plain-read', level: 'warning', name: 'GenidPlainRead', description: 'The atomic genid is read without atomic_read() or its accessor.' },
  { id: 'stamp-outside-bind-success', level: 'warning', name: 'StampOutsideBindSuccess', description: 'The route genid is stamped on a path where the cmpxchg on rt->peer lost: the stamp belongs to the branch where the peer was installed or none exists.' },
  { id: 'stamp-before-bind', level: 'warning', name: 'StampBeforeBind', description: 'The route genid is stamped before the peer lookup/cmpxchg: the kernel reads the genid after the lookup.' },
  { id: 'dst-check-bind-creates', level: 'warning', name: 'DstCheckBindCreates', description: 'The dst_check path binds a peer with create != 0: revalidation must only attach to an existing peer (create=0); creating peers is the bumpers\' job.' },
  { id: 'dst-check-rebind-unguarded', level: 'warning', name: 'DstCheckRebindUnguarded', description: 'The dst_check path binds a peer without testing that the route has none: a bound peer is never replaced while the route lives.' },
  { id: 'stamp-before-expiry-check', level: 'warning', name: 'StampBeforeExpiryCheck', description: 'The genid revalidation runs before the rt_is_expired() check: an expired route is refreshed instead of dropped.' },
  { id: 'expiry-check-missing', level: 'warning', name: 'ExpiryCheckMissing', description: 'The dst_check function no longer tests rt_is_expired().' },
  { id: 'no-genid-bumper', level: 'info', name: 'NoGenidBumper', description: 'The genid is declared and read but nothing bumps it: routes never revalidate (expected for the seed commit alone).' },
  { id: 'function-unparsed', level: 'warning', name: 'FunctionUnparsed', description: 'A changed function could not be parsed (macro-heavy code); its facts are unknown.' },
];

const PATCH_RULE_PREFIX = 'patch/';

export function ruleLevel(id: string): FindingLevel {
  return RULES.find((r) => r.id === id)?.level ?? 'warning';
}

/** SARIF rules for the findings of one report (damage codes become `patch/<code>` rules). */
export function sarifRules(findings: Finding[]): SarifRule[] {
  const level = (l: FindingLevel): SarifRule['defaultLevel'] => (l === 'info' ? 'note' : l);
  const rules: SarifRule[] = RULES.map((r) => ({ id: r.id, name: r.name, shortDescription: r.description, defaultLevel: level(r.level) }));
  for (const f of findings) {
    if (f.ruleId.startsWith(PATCH_RULE_PREFIX) && !rules.some((r) => r.id === f.ruleId)) {
      const code = f.ruleId.slice(PATCH_RULE_PREFIX.length);
      rules.push({
        id: f.ruleId,
        name: `PatchDamage${code.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`,
        shortDescription: `The patch file is damaged (${code}).`,
        defaultLevel: level(f.level),
      });
    }
  }
  return rules;
}

/** Patch damage as findings, located at patch lines. */
export function damageFindings(patchFile: string, diagnostics: PatchDiagnostic[]): Finding[] {
  return diagnostics.map((d) => ({
    ruleId: `${PATCH_RULE_PREFIX}${d.code}`,
    level: d.severity === 'error' ? 'error' : 'warning',
    message: d.action ? `${d.message}; ${d.action}` : d.message,
    file: patchFile,
    line: d.line,
    ...(d.column !== undefined ? { column: d.column } : {}),
    patch: { file: patchFile, line: d.line },
  }));
}

export interface RuleContext {
  file: string;
  patchFile: string;
  /** Post-image line -> patch line. */
  patchLine: (line: number) => number | undefined;
}

const isDstCheck = (f: FunctionFacts): boolean => /dst_check$|validate_peer$/.test(f.name) || !!f.genidBlock;

function mentionsCmpxchgLost(terms: PathTerm[], cmpxchgText: string): boolean {
  // The stamp runs on a path where the cmpxchg result "!= NULL" (lost) was taken positively.
  return terms.some((t) => !t.negated && t.text.includes(cmpxchgText) && /!=\s*NULL/.test(t.text));
}

function excludesCmpxchgLost(terms: PathTerm[], cmpxchgText: string): boolean {
  return terms.some((t) => t.negated && t.text.includes(cmpxchgText));
}

/** Protocol rules over the post-image facts of the changed functions. */
export function functionFindings(f: FunctionFacts, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const add = (ruleId: string, line: number, column: number | undefined, message: string): void => {
    const patchLine = ctx.patchLine(line);
    out.push({
      ruleId,
      level: ruleLevel(ruleId),
      message,
      file: ctx.file,
      line,
      ...(column !== undefined ? { column } : {}),
      ...(patchLine !== undefined ? { patch: { file: ctx.patchFile, line: patchLine } } : {}),
      function: f.name,
    });
  };

  for (const c of f.comparisons) {
    if (['<', '>', '<=', '>='].includes(c.operator)) add('genid-ordered-compare', c.line, c.column, `${f.name}: genids compared with \`${c.operator}\` (\`${c.text}\`); compare with != (the counter wraps)`);
  }
  for (const b of f.bumps) {
    if (!b.atomic) add('genid-non-atomic-bump', b.line, b.column, `${f.name}: ${b.name} bumped without an atomic operation (\`${b.text}\`)`);
  }
  for (const r of f.reads) {
    if (r.via === 'plain' && !f.isAccessor) add('genid-plain-read', r.line, r.column, `${f.name}: ${r.name} read directly (\`${r.text}\`); use atomic_read() or the accessor`);
  }

  const cas = f.cmpxchgs[0];
  if (cas) {
    for (const s of f.stamps.filter((x) => x.valueKind === 'genid-read')) {
      if (s.line < cas.line) add('stamp-before-bind', s.line, s.column, `${f.name}: \`${s.text}\` runs before \`${cas.text}\` (the genid is read before the peer is bound)`);
      else if (mentionsCmpxchgLost(s.terms, cas.text) || !excludesCmpxchgLost(s.terms, cas.text)) {
        add('stamp-outside-bind-success', s.line, s.column, `${f.name}: \`${s.text}\` also runs when \`${cas.text}\` lost (condition: ${s.condition})`);
      }
    }
  }

  if (isDstCheck(f)) {
    for (const b of f.binds) {
      if (b.createValue !== 0) add('dst-check-bind-creates', b.line, b.column, `${f.name}: \`${b.text}\` may create a peer (create=${b.create}); revalidation should look up only (create=0)`);
      if (!guardedByNoPeer(b.terms)) add('dst-check-rebind-unguarded', b.line, b.column, `${f.name}: \`${b.text}\` runs even when the route already has a peer`);
    }
    const expiry = f.returns.find((r) => r.checksExpiry);
    const firstRevalidation = [f.genidBlock?.line, ...f.stamps.map((s) => s.line), ...f.binds.map((b) => b.line)].filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
    if (expiry && firstRevalidation !== undefined && firstRevalidation < expiry.line) {
      add('stamp-before-expiry-check', firstRevalidation, undefined, `${f.name}: the genid revalidation (line ${firstRevalidation}) comes before the expiry check \`${expiry.condition}\` (line ${expiry.line})`);
    }
    if (!expiry && (f.genidBlock || f.stamps.length)) add('expiry-check-missing', f.startLine, undefined, `${f.name}: no rt_is_expired() check before returning the route`);
  }
  return out;
}

/** File-level rules: the genid's type, and whether anything bumps it. */
export function fileFindings(post: ProtocolFacts, ctx: RuleContext & { wholeFile: boolean; changedGlobals: Set<string> }): Finding[] {
  const out: Finding[] = [];
  const add = (ruleId: string, line: number, message: string): void => {
    const patchLine = ctx.patchLine(line);
    out.push({ ruleId, level: ruleLevel(ruleId), message, file: ctx.file, line, ...(patchLine !== undefined ? { patch: { file: ctx.patchFile, line: patchLine } } : {}) });
  };
  const bumps = allOf(post, 'bumps');
  for (const g of post.globals) {
    if (!ctx.changedGlobals.has(g.name)) continue;
    if (!g.atomic) add('genid-non-atomic', g.line, `${g.name} is declared \`${g.type}\`, not atomic_t`);
    if (!bumps.some((b) => b.name === g.name)) {
      add('no-genid-bumper', g.line, `${g.name}: nothing ${ctx.wholeFile ? `in ${ctx.file}` : 'in this patch'} bumps it, so routes never see a mismatch${ctx.wholeFile ? '' : ' (the rest of the file was not available)'}`);
    }
  }
  return out;
}
