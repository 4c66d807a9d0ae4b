/**
 * Facts a call carries: genid reads through an accessor or atomic_read/READ_ONCE, atomic bumps,
 * peer binds, cmpxchg on a route's peer, the fnhe-era counters, DST_OBSOLETE_ arguments.
 */
import type { SyntaxNode } from './parse.ts';
import type { FunctionFacts } from './fact-types.ts';
import { oneLine, same, unwrap, calleeName, callArgs, binaryOperator, addressOf } from './syntax.ts';
import { ATOMIC_WRITE, BIND_PEER, CMPXCHG, COMPARE_OPS, DST_OBSOLETE } from './fact-vocabulary.ts';
import type { FactReader } from './fact-reader.ts';

/**
 * Adds the facts of call n (in function def) to `facts`. Identifiers a fact accounts for are
 * added to `consumed`, so that they are not also reported as plain reads.
 */
export function callFacts(ex: FactReader, n: SyntaxNode, def: SyntaxNode, facts: FunctionFacts, consumed: Set<number>): void {
  const name = calleeName(n);
  if (!name) return;
  const args = callArgs(n);
  const fn = facts.name;
  const kind = ex.genidValue(n);
  if (kind === 'accessor' || kind === 'atomic_read' || kind === 'read_once') {
    for (const a of args) {
      const t = addressOf(a) ?? unwrap(a);
      consumed.add(t.startIndex);
    }
    facts.reads.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, via: kind, name: kind === 'accessor' ? name : unwrap(addressOf(args[0]!) ?? args[0]!).text });
    return;
  }
  if (ATOMIC_WRITE.test(name)) {
    const target = args.map((a) => addressOf(a)).find((t) => t !== undefined);
    if (target && ex.isGlobalGenid(target)) {
      consumed.add(target.startIndex);
      facts.bumps.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, name: target.text, op: name, atomic: true });
      return;
    }
    if (target && target.type === 'field_expression') {
      const field = target.childForFieldName('field')?.text;
      if (field === 'fnhe_genid' || field === 'rt_genid') {
        facts.counters.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, counter: field, op: name === 'atomic_set' ? 'write' : 'bump', via: name });
      }
    }
    return;
  }
  if (BIND_PEER.test(name)) {
    const last = args[args.length - 1];
    const create = last ? oneLine(last.text) : '';
    const value = parseCreate(create);
    facts.binds.push({
      ...ex.loc(n),
      ...ex.cond(n, def),
      function: fn,
      callee: name,
      args: args.map((a) => oneLine(a.text)),
      create,
      ...(value !== undefined ? { createValue: value } : {}),
    });
    return;
  }
  if (CMPXCHG.test(name) && args[0]) {
    const target = addressOf(args[0]);
    const field = target?.type === 'field_expression' ? target.childForFieldName('field')?.text : undefined;
    if (target && field === 'peer') {
      const parent = n.parent;
      let resultTest: string | undefined;
      if (parent?.type === 'binary_expression' && COMPARE_OPS.has(binaryOperator(parent))) {
        const other = same(parent.childForFieldName('left'), n) ? parent.childForFieldName('right') : parent.childForFieldName('left');
        resultTest = `${binaryOperator(parent)} ${other ? oneLine(other.text) : ''}`.trim();
      }
      facts.cmpxchgs.push({
        ...ex.loc(n),
        ...ex.cond(n, def),
        function: fn,
        callee: name,
        target: oneLine(target.text),
        expected: args[1] ? oneLine(args[1].text) : '',
        desired: args[2] ? oneLine(args[2].text) : '',
        ...(resultTest ? { resultTest } : {}),
      });
    }
    return;
  }
  if (name === 'fnhe_genid' || name === 'fnhe_genid_bump') {
    facts.counters.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, counter: 'fnhe_genid', op: name === 'fnhe_genid' ? 'read' : 'bump', via: name });
    return;
  }
  if (/^rt_genid_bump/.test(name) || name === 'rt_genid_ipv4' || name === 'rt_genid') {
    facts.counters.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, counter: 'rt_genid', op: name.startsWith('rt_genid_bump') ? 'bump' : 'read', via: name });
    return;
  }
  if (name === 'update_or_create_fnhe') {
    facts.fnheUpdates.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, args: args.map((a) => oneLine(a.text)) });
    return;
  }
  for (const a of args) {
    const u = unwrap(a);
    if (u.type === 'identifier' && DST_OBSOLETE.test(u.text)) {
      facts.obsolete.push({ ...ex.loc(n), ...ex.cond(n, def), function: fn, constant: u.text, operator: 'arg', kind: 'arg' });
    }
  }
}

/** The value of a bind's `create` argument when it is a literal. */
function parseCreate(text: string): number | undefined {
  if (/^(0x[0-9a-f]+|\d+)[uUlL]*$/i.test(text)) return Number.parseInt(text, /^0x/i.test(text) ? 16 : 10);
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  return undefined;
}
