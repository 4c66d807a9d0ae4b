/**
 * Path conditions in a reviewer's words. The C text stays next to the words (in
 * backquotes) so that nothing is lost when the wording does not know a pattern.
 */
import type { PathTerm } from '../csrc/facts.ts';
import { negateText, isPrimary } from '../csrc/facts.ts';

/** Splits `text` at top-level occurrences of `op` ('&&' or '||'). */
export function splitTop(text: string, op: '&&' | '||'): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (depth === 0 && text.startsWith(op, i)) {
      out.push(text.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  out.push(text.slice(start).trim());
  return out.map(stripParens);
}

function stripParens(t: string): string {
  let s = t.trim();
  while (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}

/** Words for one atom of a condition, positive or negated. */
export function atomWords(atom: string, negated: boolean): string {
  const a = stripParens(atom);
  if (a.startsWith('!') && !a.startsWith('!=') && isPrimary(a.slice(1).trim())) return atomWords(stripParens(a.slice(1)), !negated);
  const ors = splitTop(a, '||');
  if (ors.length > 1) return ors.map((x) => atomWords(x, negated)).join(negated ? ' and ' : ' or ');
  const ands = splitTop(a, '&&');
  if (ands.length > 1) return ands.map((x) => atomWords(x, negated)).join(negated ? ' or ' : ' and ');
  let m: RegExpExecArray | null;
  if ((m = /^(try_)?cmpxchg\w*\(\s*&\s*([^,]+->peer)\s*,\s*NULL\s*,\s*(\w+)\s*\)\s*(!=|==)\s*NULL$/.exec(a))) {
    const lost = m[4] === '!=';
    return lost !== negated ? `the cmpxchg loses (${m[2]} was already set)` : 'the cmpxchg wins';
  }
  if ((m = /^([\w>.-]+->peer)\s*(==|!=)\s*NULL$/.exec(a))) {
    const none = m[2] === '==';
    return none !== negated ? 'the route has no peer' : 'the route already has a peer';
  }
  if ((m = /^([\w>.-]+->peer)$/.exec(a))) return negated ? 'the route has no peer' : 'the route already has a peer';
  if ((m = /^(\w*peer\w*)$/.exec(a))) return negated ? 'no peer was found' : `a peer was found (\`${m[1]}\`)`;
  if ((m = /peer_genid.*\s(!=|==)\s.*peer_genid/.exec(a))) {
    const stale = m[1] === '!=';
    return stale !== negated ? "the route's genid is stale" : "the route's genid is current";
  }
  if (/^rt_is_expired\s*\(/.test(a)) return negated ? 'the route is not expired' : 'the route is expired';
  return negated ? `\`${negateText(a)}\`` : `\`${a}\``;
}

/** Words for one path term ("when ..." clauses without the leading "when"). */
export function termWords(term: PathTerm): string {
  if (!term.negated) {
    const atoms = splitTop(term.text, '&&');
    return atoms.map((x) => atomWords(x, false)).join(' and ');
  }
  const ands = splitTop(term.text, '&&');
  if (ands.length > 1) {
    // !(a1 && .. && an): the last test failed with the earlier ones true, ..., or a1 failed.
    return ands
      .map((x) => atomWords(x, true))
      .reverse()
      .join(' or when ');
  }
  const ors = splitTop(term.text, '||');
  if (ors.length > 1) return ors.map((x) => atomWords(x, true)).join(' and ');
  return atomWords(term.text, true);
}

/**
 * "when the cmpxchg wins or when no peer was found (else branch of `...`)".
 * `skip` drops outer terms already said by the caller (e.g. the genid block's own test).
 */
export function describeCondition(terms: PathTerm[], skip = 0): string {
  const ts = terms.slice(skip);
  if (ts.length === 0) return 'unconditionally';
  return ts
    .map((t) => {
      const words = `when ${termWords(t)}`;
      return t.negated && t.kind === 'if' ? `${words} (else branch of \`${t.text}\`)` : words;
    })
    .join(', and ');
}
