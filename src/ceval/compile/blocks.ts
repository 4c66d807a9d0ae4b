/**
 * Blocks and their labels. A statement completes with 0 (fell through), 1 (returned) or the
 * code of a goto (>= 2); a block resumes at its own label of that code, or passes the code out
 * to the enclosing blocks. A goto may only leave blocks (jump to a label of an enclosing
 * block), as kernel error paths do.
 */
import type { SyntaxNode } from '../../csrc/parse.ts';
import { cFault } from '../stubs.ts';
import { type CStmt, type Compiler, Scope } from './types.ts';

/** Jumps to labels of one block within one execution of it (bounds backward-goto loops). */
const MAX_JUMPS = 10_000;

/** The labels and gotos of one function, checked once its body has compiled. */
export class Labels {
  private nextBlock = 0;
  private readonly blockStack: number[] = [];
  private readonly codes = new Map<string, number>();
  private readonly blocks = new Map<string, number>();
  private readonly gotos: { name: string; node: SyntaxNode; blocks: number[] }[] = [];

  /** Completion code of `goto name` (>= 2; 0 = fell through, 1 = returned). */
  code(name: string): number {
    let c = this.codes.get(name);
    if (c === undefined) {
      c = 2 + this.codes.size;
      this.codes.set(name, c);
    }
    return c;
  }

  /** A goto met in the block being compiled. */
  goto(name: string, node: SyntaxNode): number {
    this.gotos.push({ name, node, blocks: [...this.blockStack] });
    return this.code(name);
  }

  /** Every goto names a label of a block it is in. */
  check(c: Compiler): void {
    for (const g of this.gotos) {
      const b = this.blocks.get(g.name);
      if (b === undefined) throw c.err(g.node, `goto ${g.name}: no such label`);
      if (!g.blocks.includes(b)) throw c.err(g.node, `goto ${g.name} into a nested block`);
    }
  }

  /** A compound statement, in a new scope. */
  block(c: Compiler, node: SyntaxNode, parent: Scope): CStmt {
    const scope = new Scope(parent);
    const blockId = this.nextBlock++;
    this.blockStack.push(blockId);
    const stmts: CStmt[] = [];
    // Labels of this block: goto completion code -> index of the labelled statement.
    const labelAt = new Map<number, number>();
    try {
      for (const x of node.namedChildren) {
        if (x.type === 'comment') continue;
        if (x.type === 'labeled_statement') {
          const name = x.childForFieldName('label')!.text;
          if (this.blocks.has(name)) throw c.err(x, `label ${name} defined twice`);
          this.blocks.set(name, blockId);
          labelAt.set(this.code(name), stmts.length);
          const inner = x.namedChildren.find((y) => y.type !== 'statement_identifier' && y.type !== 'comment');
          stmts.push(inner ? c.stmt(inner, scope) : function* () {
            return 0;
          });
          continue;
        }
        stmts.push(c.stmt(x, scope));
      }
    } finally {
      this.blockStack.pop();
    }
    return runner(c, node, stmts, labelAt);
  }
}

/** Runs a block's statements in order, resuming at a label of its own when one is jumped to. */
function runner(c: Compiler, node: SyntaxNode, stmts: CStmt[], labelAt: Map<number, number>): CStmt {
  const n = stmts.length;
  if (labelAt.size === 0) {
    return function* (fr) {
      for (let i = 0; i < n; i++) {
        const r = yield* stmts[i]!(fr);
        if (r) return r;
      }
      return 0;
    };
  }
  const site = c.site(node);
  return function* (fr) {
    let jumps = 0;
    for (let i = 0; i < n; ) {
      const r = yield* stmts[i]!(fr);
      if (r === 0) {
        i++;
        continue;
      }
      const at = r >= 2 ? labelAt.get(r) : undefined;
      if (at === undefined) return r; // a return, or a goto to a label of an enclosing block
      // A backward goto is a loop: bound it so that a non-terminating one is an error, not a hang.
      if (++jumps > MAX_JUMPS) throw cFault(`more than ${MAX_JUMPS} jumps to labels of this block (a goto loop that does not end?)`, site);
      i = at;
    }
    return 0;
  };
}
