/**
 * Statements. Each one notes itself as started (and traces itself when tracing is on) before
 * it evaluates anything, so that a fault or a divergence points at its line.
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { PeerpropError } from '../../core/errors.ts';
import { truthy } from '../values.ts';
import type { TraceEntry } from '../machine.ts';
import { CRuntimeFault } from '../stubs.ts';
import { convert, mark } from './combinators.ts';
import { declaration } from './declarations.ts';
import { declaratorName } from './declarators.ts';
import { type CStmt, type Compiler, Scope } from './types.ts';

const nothing: CStmt = function* () {
  return 0;
};

/** A statement; in lenient mode an uncompilable one becomes a run-time error at its place. */
export function stmtOrDeferred(c: Compiler, node: SyntaxNode, scope: Scope): CStmt {
  if (!c.ctx.defer) return stmt(c, node, scope);
  try {
    return stmt(c, node, scope);
  } catch (e) {
    if (!(e instanceof PeerpropError) || e instanceof CRuntimeFault) throw e;
    if (node.type === 'declaration') {
      // Keep the names declared, so later statements fail only where they use them.
      for (const d of node.childrenForFieldName('declarator')) {
        const id = declaratorName(d.type === 'init_declarator' ? d.childForFieldName('declarator') : d);
        if (id && !scope.vars.has(id.text)) scope.vars.set(id.text, { slot: c.slot(), t: 'int', struct: false });
      }
    }
    c.ctx.defer(e);
    const err = e;
    return function* () {
      throw err;
    };
  }
}

function stmt(c: Compiler, node: SyntaxNode, scope: Scope): CStmt {
  const site = c.site(node);
  switch (node.type) {
    case 'compound_statement':
      return c.block(node, scope);
    case 'expression_statement': {
      const e = node.namedChildren.find((x) => x.type !== 'comment');
      if (!e) return nothing;
      const x = c.expr(e, scope);
      if (x.pure) {
        const f = x.f;
        return function* (fr) {
          mark(fr, site, 'stmt');
          f(fr);
          return 0;
        };
      }
      const g = x.g;
      return function* (fr) {
        mark(fr, site, 'stmt');
        yield* g(fr);
        return 0;
      };
    }
    case 'declaration':
      return declaration(c, node, scope);
    case 'if_statement': {
      const cond = c.expr(node.childForFieldName('condition')!, scope);
      const then = c.stmt(node.childForFieldName('consequence')!, new Scope(scope));
      const altClause = node.childForFieldName('alternative');
      let alt: CStmt | undefined;
      if (altClause) {
        const s = altClause.type === 'else_clause' ? altClause.namedChildren.find((x) => x.type !== 'comment') : altClause;
        if (s) alt = c.stmt(s, new Scope(scope));
      }
      return function* (fr) {
        fr.m.lastSite = site;
        // Traced at the start (execution order); the outcome is filled in once known.
        const entry: TraceEntry | undefined = fr.m.trace ? { site, kind: 'if-false' } : undefined;
        if (entry) fr.m.trace!.push(entry);
        const v = cond.pure ? cond.f(fr) : yield* cond.g(fr);
        const taken = truthy(v);
        if (entry && taken) entry.kind = 'if-true';
        if (taken) return yield* then(fr);
        if (alt) return yield* alt(fr);
        return 0;
      };
    }
    case 'return_statement': {
      const e = node.namedChildren.find((x) => x.type !== 'comment');
      const rt = c.out.ret;
      if (!e) {
        return function* (fr) {
          mark(fr, site, 'return');
          fr.ret = 0;
          return 1;
        };
      }
      const x = c.expr(e, scope);
      return function* (fr) {
        mark(fr, site, 'return');
        fr.ret = convert(x.pure ? x.f(fr) : yield* x.g(fr), rt);
        return 1;
      };
    }
    case ';':
      return nothing;
    case 'goto_statement': {
      const code = c.gotoCode(node.childForFieldName('label')!.text, node);
      return function* (fr) {
        mark(fr, site, 'stmt');
        return code;
      };
    }
    case 'labeled_statement':
      throw c.err(node, 'label on a statement that is not directly in a block');
    case 'for_statement':
    case 'while_statement':
    case 'do_statement':
      throw c.err(node, `loop (${node.type.replace('_statement', '')})`);
    case 'switch_statement':
      throw c.err(node, 'switch');
    case 'break_statement':
    case 'continue_statement':
      throw c.err(node, node.type.replace('_statement', ''));
    case 'ERROR':
      throw c.err(node, `code the C parser could not read (a macro it does not know?): ${node.text.split('\n')[0]!.slice(0, 40)}`);
    default:
      if (node.type.startsWith('preproc_')) throw c.err(node, 'preprocessor conditional inside a function');
      throw c.err(node, `statement ${node.type}`);
  }
}
