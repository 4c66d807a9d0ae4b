/** Local variable declarations: a frame slot each, initialised where the declaration stands. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { CStruct } from '../values.ts';
import { convert, mark } from './combinators.ts';
import { declaratorName, declaredType } from './declarators.ts';
import type { CStmt, Compiler, Scope } from './types.ts';

export function declaration(c: Compiler, node: SyntaxNode, scope: Scope): CStmt {
  const typeNode = node.childForFieldName('type');
  const inits: CStmt[] = [];
  for (const d of node.childrenForFieldName('declarator')) {
    const isInit = d.type === 'init_declarator';
    const decl = isInit ? d.childForFieldName('declarator') : d;
    const t = declaredType(typeNode, decl);
    const id = declaratorName(decl);
    if (!id) throw c.err(d, 'declarator');
    if (decl?.type === 'array_declarator' || decl?.type === 'function_declarator') throw c.err(d, 'local array or function declaration');
    const slot = c.slot();
    const isStruct = t === 'struct';
    const valueNode = isInit ? d.childForFieldName('value') : null;
    // The initialiser sees the variables declared before it, not this one.
    const init = valueNode ? c.expr(valueNode, scope) : undefined;
    scope.vars.set(id.text, { slot, t, struct: isStruct });
    const site = c.site(d);
    const tag = typeNode?.text ?? 'struct';
    if (isStruct) {
      if (init) throw c.err(valueNode!, 'struct initialiser');
      const label = `${c.out.name}.${id.text}`;
      const tagName = tag.replace(/^struct\s+/, '');
      inits.push(function* (fr) {
        fr.s[slot] = new CStruct(tagName, tagName === 'atomic_t' ? { counter: 0 } : Object.create(null), false, label);
        return 0;
      });
    } else if (init) {
      inits.push(function* (fr) {
        mark(fr, site, 'stmt');
        fr.s[slot] = convert(init.pure ? init.f(fr) : yield* init.g(fr), t);
        return 0;
      });
    } else {
      inits.push(function* (fr) {
        fr.s[slot] = t === 'ptr' ? null : 0;
        return 0;
      });
    }
  }
  if (inits.length === 1) return inits[0]!;
  return function* (fr) {
    for (const s of inits) yield* s(fr);
    return 0;
  };
}
