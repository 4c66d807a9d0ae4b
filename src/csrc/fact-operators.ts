/**
 * Facts an operator carries: genid bumps (`=`, `+=`, `++` on the global), stamps of a route's
 * genid field, fnhe counter writes, obsolete-state writes, and comparisons of genids (or with
 * DST_OBSOLETE_ constants, or of the fnhe counter).
 */
import type { SyntaxNode } from './parse.ts';
import type { FunctionFacts, StampFact } from './fact-types.ts';
import { oneLine, unwrap, binaryOperator } from './syntax.ts';
import { COMPARE_OPS, DST_OBSOLETE, FIELD_GENID } from './fact-vocabulary.ts';
import type { FactReader } from './fact-reader.ts';

/** `++`/`--` of the global genid. */
export function updateFacts(ex: FactReader, n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts, consumed: Set<number>): void {
  const arg = n.childForFieldName('argument');
  if (arg && ex.isGlobalGenid(arg)) {
    consumed.add(unwrap(arg).startIndex);
    const op = n.child(0)?.type === '++' || n.child(0)?.text === '++' || n.text.endsWith('++') ? '++' : '--';
    facts.bumps.push({ ...ex.loc(n), ...ex.cond(n, def), function: facts.name, name: unwrap(arg).text, op, atomic: false });
  }
}

export function assignmentFacts(ex: FactReader, n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts, consumed: Set<number>): void {
  const left = n.childForFieldName('left');
  const right = n.childForFieldName('right');
  const op = n.childForFieldName('operator')?.text ?? '=';
  if (!left || !right) return;
  const l = unwrap(left);
  const fn = facts.name;
  if (ex.isGlobalGenid(l)) {
    consumed.add(l.startIndex);
    facts.bumps.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, name: l.text, op, atomic: false });
    return;
  }
  if (l.type === 'field_expression') {
    const field = l.childForFieldName('field')?.text ?? '';
    if (FIELD_GENID.test(field)) {
      const rv = ex.genidValue(right);
      const r = unwrap(right);
      const valueKind: StampFact['valueKind'] = rv && rv !== 'field' ? 'genid-read' : r.type === 'number_literal' ? 'literal' : 'other';
      facts.stamps.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, target: oneLine(left.text), operator: op, value: oneLine(right.text), valueKind });
      return;
    }
    if (field === 'fnhe_genid') {
      facts.counters.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, counter: 'fnhe_genid', op: 'write', via: op });
      return;
    }
    if (field === 'obsolete') {
      const r = unwrap(right);
      if (r.type === 'identifier' && DST_OBSOLETE.test(r.text)) {
        facts.obsolete.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, constant: r.text, operator: op, kind: 'set' });
      }
    }
  }
}

export function comparisonFacts(ex: FactReader, n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts): void {
  const op = binaryOperator(n);
  if (!COMPARE_OPS.has(op)) return;
  const left = n.childForFieldName('left');
  const right = n.childForFieldName('right');
  if (!left || !right) return;
  const lk = ex.genidValue(left);
  const rk = ex.genidValue(right);
  if (lk || rk) {
    facts.comparisons.push({
      ...ex.loc(n),
      ...ex.cond(n, def),
      function: facts.name,
      operator: op,
      left: oneLine(left.text),
      right: oneLine(right.text),
      genidVsGenid: !!lk && !!rk,
    });
    return;
  }
  for (const side of [left, right]) {
    const u = unwrap(side);
    if (u.type === 'identifier' && DST_OBSOLETE.test(u.text)) {
      facts.obsolete.push({ ...ex.loc(n), ...ex.cond(n, def), function: facts.name, constant: u.text, operator: op, kind: 'compare' });
    }
  }
  const fieldOf = (s: SyntaxNode): string | undefined => {
    const u = unwrap(s);
    return u.type === 'field_expression' ? u.childForFieldName('field')?.text : undefined;
  };
  if (fieldOf(left) === 'fnhe_genid' || fieldOf(right) === 'fnhe_genid') {
    facts.counters.push({ ...ex.loc(n), ...ex.cond(n, def), function: facts.name, counter: 'fnhe_genid', op: 'read', via: op });
  }
}
