/** Expressions: which compiler part handles each kind of node, and identifiers. */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { FuncRef } from '../values.ts';
import { STUBS, CONSTANTS } from '../stubs.ts';
import { assignment, update } from './assignments.ts';
import { call } from './calls.ts';
import { constant } from './combinators.ts';
import { literal } from './literals.ts';
import { binary, cast, conditional, unary } from './operators.ts';
import type { CExpr, Compiler, Scope } from './types.ts';

export function expr(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  switch (node.type) {
    case 'number_literal':
    case 'char_literal':
    case 'null':
    case 'true':
    case 'false':
      return literal(c, node)!;
    case 'parenthesized_expression': {
      const inner = node.namedChildren.find((x) => x.type !== 'comment');
      if (!inner) throw c.err(node, 'empty parentheses');
      return c.expr(inner, scope);
    }
    case 'identifier':
      return identifier(c, node, scope);
    case 'field_expression':
    case 'pointer_expression':
      if (node.type === 'pointer_expression' && node.childForFieldName('operator')?.type === '&') {
        return c.lvalue(node.childForFieldName('argument')!, scope).addr;
      }
      return c.lvalue(node, scope).load;
    case 'unary_expression':
      return unary(c, node, scope);
    case 'binary_expression':
      return binary(c, node, scope);
    case 'assignment_expression':
      return assignment(c, node, scope);
    case 'update_expression':
      return update(c, node, scope);
    case 'conditional_expression':
      return conditional(c, node, scope);
    case 'cast_expression':
      return cast(c, node, scope);
    case 'call_expression':
      return call(c, node, scope);
    case 'comma_expression': {
      const l = c.expr(node.childForFieldName('left')!, scope);
      const r = c.expr(node.childForFieldName('right')!, scope);
      return {
        t: r.t,
        pure: false,
        g: function* (fr) {
          if (l.pure) l.f(fr);
          else yield* l.g(fr);
          return r.pure ? r.f(fr) : yield* r.g(fr);
        },
      };
    }
    case 'sizeof_expression':
      throw c.err(node, 'sizeof');
    case 'subscript_expression':
      throw c.err(node, 'array subscript');
    case 'string_literal':
    case 'concatenated_string':
      throw c.err(node, 'string literal');
    case 'compound_literal_expression':
      throw c.err(node, 'compound literal');
    case 'ERROR':
      throw c.err(node, `syntax error near "${node.text.slice(0, 30)}"`);
    default:
      throw c.err(node, `expression ${node.type}`);
  }
}

/** A name: local, NULL, jiffies, file-scope variable, #define, kernel constant, or function. */
function identifier(c: Compiler, node: SyntaxNode, scope: Scope): CExpr {
  const name = node.text;
  const local = scope.lookup(name);
  if (local) {
    const s = local.slot;
    return { t: local.t, pure: true, f: (fr) => fr.s[s]! };
  }
  if (name === 'NULL') return constant('ptr', null);
  // The kernel's clock: the model's time in ticks.
  if (name === 'jiffies' && !c.ctx.global(name)) return { t: 'u64', pure: true, f: (fr) => fr.m.now };
  const gt = c.ctx.global(name);
  if (gt !== undefined) return c.lvalue(node, scope).load;
  const def = c.ctx.define(name);
  if (def !== undefined) return constant('int', def);
  if (name in CONSTANTS) return constant('int', CONSTANTS[name]!);
  if (c.ctx.fn(name) || name in STUBS) return constant('ptr', new FuncRef(name));
  throw c.err(node, `unknown identifier ${name}`);
}
