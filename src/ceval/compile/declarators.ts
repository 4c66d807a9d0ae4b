/** Reading C declarations: the static type a declarator gives, and the name it declares. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { scalarType, type CType } from '../values.ts';

/** The static type a declaration gives a declarator (pointer or the base type). */
export function declaredType(typeNode: SyntaxNode | null, declarator: SyntaxNode | null): CType {
  let d = declarator;
  while (d) {
    if (d.type === 'pointer_declarator' || d.type === 'abstract_pointer_declarator') return 'ptr';
    if (d.type === 'array_declarator') return 'ptr';
    d = d.childForFieldName('declarator');
  }
  if (!typeNode) return 'int';
  if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') return 'struct';
  const name = typeNode.text;
  if (name === 'atomic_t' || name === 'atomic_long_t') return 'struct';
  return scalarType(name) ?? 'int';
}

/** The identifier a (possibly pointer / init) declarator declares. */
export function declaratorName(d: SyntaxNode | null): SyntaxNode | undefined {
  while (d && d.type !== 'identifier') {
    if (d.type === 'function_declarator' || d.type === 'array_declarator' || d.type === 'parenthesized_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChild(0);
      continue;
    }
    d = d.childForFieldName('declarator');
  }
  return d ?? undefined;
}
