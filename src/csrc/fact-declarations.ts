/** Declaration facts: genid globals (file scope or function-static) and genid/peer struct members. */
import type { SyntaxNode } from './parse.ts';
import type { FieldDecl, GenidDecl } from './fact-types.ts';
import { oneLine, descendants, DECLARATIONS, FIELD_LISTS } from './syntax.ts';
import { FIELD_GENID, GLOBAL_GENID } from './fact-vocabulary.ts';
import type { FactReader } from './fact-reader.ts';

/** Genid declarations directly in `scope` (file scope), or anywhere in function `fnName`. */
export function genidDecls(ex: FactReader, scope: SyntaxNode, fnName?: string): GenidDecl[] {
  const out: GenidDecl[] = [];
  const consider = (decl: SyntaxNode): void => {
    const type = decl.childForFieldName('type');
    const isStatic = decl.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    for (const d of decl.namedChildren) {
      let idNode: SyntaxNode | null = null;
      let init: SyntaxNode | null = null;
      if (d.type === 'init_declarator') {
        idNode = d.childForFieldName('declarator');
        init = d.childForFieldName('value');
      } else if (d.type === 'identifier') idNode = d;
      if (idNode?.type !== 'identifier') continue;
      if (!GLOBAL_GENID.test(idNode.text) || !idNode.text.startsWith('__')) continue;
      const typeText = type ? oneLine(type.text) : '';
      out.push({
        ...ex.loc(decl),
        name: idNode.text,
        type: typeText,
        atomic: /^atomic(64|_long)?_t$/.test(typeText),
        static: isStatic,
        ...(init ? { initializer: oneLine(init.text) } : {}),
        ...(fnName ? { function: fnName } : {}),
      });
    }
  };
  if (fnName) {
    for (const n of descendants(scope, DECLARATIONS)) if (n.type === 'declaration') consider(n);
  } else {
    const visit = (n: SyntaxNode): void => {
      for (const c of n.namedChildren) {
        if (c.type === 'declaration') consider(c);
        else if (c.type.startsWith('preproc_') || c.type === 'ERROR') visit(c);
      }
    };
    visit(scope);
  }
  return out;
}

/** Members named like the route's genid stamp or its peer pointer, in any struct definition. */
export function fieldDecls(ex: FactReader, root: SyntaxNode): FieldDecl[] {
  const out: FieldDecl[] = [];
  for (const list of descendants(root, FIELD_LISTS, false)) {
    const struct = list.parent?.childForFieldName('name')?.text ?? '(anonymous)';
    for (const decl of list.namedChildren) {
      if (decl.type !== 'field_declaration') continue;
      const type = oneLine(decl.childForFieldName('type')?.text ?? '');
      for (const d of decl.childrenForFieldName('declarator')) {
        let stars = '';
        let cur: SyntaxNode | null = d;
        while (cur && cur.type === 'pointer_declarator') {
          stars += '*';
          cur = cur.childForFieldName('declarator');
        }
        if (cur?.type !== 'field_identifier') continue;
        if (!FIELD_GENID.test(cur.text) && cur.text !== 'peer') continue;
        out.push({ ...ex.loc(decl), struct, name: cur.text, type: stars ? `${type} ${stars}` : type });
      }
    }
  }
  return out;
}
