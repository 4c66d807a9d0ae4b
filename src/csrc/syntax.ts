/**
 * Small helpers over tree-sitter-c nodes shared by the fact extractor: text, unwrapping of
 * casts and parentheses, call parts, and a fast filtered walk.
 */
import type { SyntaxNode } from './parse.ts';

export const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').replace(/[ \t]+/g, ' ').trim();

export function same(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

export function unwrap(n: SyntaxNode): SyntaxNode {
  let cur = n;
  for (;;) {
    let next: SyntaxNode | null = null;
    if (cur.type === 'parenthesized_expression' && cur.namedChildCount === 1) next = cur.namedChild(0);
    else if (cur.type === 'cast_expression') next = cur.childForFieldName('value');
    else if (cur.type === 'call_expression' && looksLikeCast(cur)) next = cur.childForFieldName('arguments')!.namedChild(0);
    if (!next) return cur;
    cur = next;
  }
}

/** `(u32)(x)` parses as a call of `(u32)`: a parenthesised type name applied to one operand. */
function looksLikeCast(call: SyntaxNode): boolean {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!fn || !args || fn.type !== 'parenthesized_expression' || args.namedChildCount !== 1) return false;
  return /^\(\s*(u8|u16|u32|u64|s32|s64|int|unsigned( int)?|long|unsigned long|__u32|__s32|__be32)\s*\)$/.test(fn.text);
}

export function calleeName(call: SyntaxNode): string | undefined {
  const fn = call.childForFieldName('function');
  return fn?.type === 'identifier' ? fn.text : undefined;
}

export function callArgs(call: SyntaxNode): SyntaxNode[] {
  return call.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
}

export function binaryOperator(n: SyntaxNode): string {
  return n.childForFieldName('operator')?.text ?? '';
}

/** `&X` -> X (unwrapped), else undefined. */
export function addressOf(n: SyntaxNode): SyntaxNode | undefined {
  const u = unwrap(n);
  if (u.type === 'pointer_expression' && u.child(0)?.text === '&') {
    const arg = u.childForFieldName('argument');
    return arg ? unwrap(arg) : undefined;
  }
  return undefined;
}

export function conditionExpr(stmt: SyntaxNode): SyntaxNode | null {
  const c = stmt.childForFieldName('condition');
  if (!c) return null;
  return c.type === 'parenthesized_expression' && c.namedChildCount === 1 ? c.namedChild(0) : c;
}

/** Node types the extractor looks at; others are walked over without being materialised. */
export const INTERESTING = new Set([
  'ERROR',
  'call_expression',
  'assignment_expression',
  'update_expression',
  'binary_expression',
  'return_statement',
  'identifier',
  'if_statement',
  'declaration',
  'field_expression',
]);

export const DECLARATIONS = new Set(['declaration']);
export const ERRORS = new Set(['ERROR']);
export const FIELD_LISTS = new Set(['field_declaration_list']);
export const IFS = new Set(['if_statement']);
export const BINARIES = new Set(['binary_expression']);

/**
 * The nodes under `n` whose type is in `types`, in document order (parents before their
 * children), plus MISSING nodes when `missing` is set. tree-sitter's native
 * descendantsOfType does the walk: creating a JS object per tree node in a JS walk
 * dominated the cost on large files.
 */
export function descendants(n: SyntaxNode, types: ReadonlySet<string> = INTERESTING, missing = true): SyntaxNode[] {
  const out = n.descendantsOfType([...types]);
  if (missing && n.hasError) {
    // MISSING nodes carry the type of the token that is missing: find them with a cursor.
    const cursor = n.walk();
    let depth = 0;
    let reached = false;
    for (;;) {
      if (!reached && cursor.nodeIsMissing) out.push(cursor.currentNode);
      if (!reached && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      reached = false;
      if (depth === 0) break;
      if (cursor.gotoNextSibling()) continue;
      if (!cursor.gotoParent()) break;
      depth--;
      reached = true;
    }
    out.sort((x, y) => x.startIndex - y.startIndex || y.endIndex - x.endIndex);
  }
  return out;
}

