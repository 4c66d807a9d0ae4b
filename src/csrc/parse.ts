import Parser from 'tree-sitter';
import C from 'tree-sitter-c';

export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

let parser: Parser | undefined;

/** One parser per process (per worker thread): creating one costs more than parsing route.c. */
function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser;
}

/**
 * Parses C source. tree-sitter's Node binding reads strings through a callback in
 * chunks; for sources above 32 KiB the plain-string path throws "Invalid argument",
 * so large files go through the callback form.
 */
export function parseC(source: string): Tree {
  const p = getParser();
  if (source.length < 32 * 1024) return p.parse(source);
  return p.parse((index: number) => source.slice(index, index + 16 * 1024));
}

/** A function definition found in a C file. */
export interface CFunction {
  name: string;
  node: SyntaxNode;
  /** 1-based first and last line of the definition. */
  startLine: number;
  endLine: number;
}

/** The declarator's identifier of a function_definition (handles pointer returns). */
export function functionName(def: SyntaxNode): string | undefined {
  let d: SyntaxNode | null = def.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') {
    d = d.childForFieldName('declarator');
  }
  const id = d?.childForFieldName('declarator');
  return id?.type === 'identifier' ? id.text : undefined;
}

/** Every function definition at the top level of a translation unit (also inside #ifdef blocks). */
export function listFunctions(tree: Tree): CFunction[] {
  const out: CFunction[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const child of n.namedChildren) {
      if (child.type === 'function_definition') {
        const name = functionName(child);
        if (name) out.push({ name, node: child, startLine: child.startPosition.row + 1, endLine: child.endPosition.row + 1 });
      } else if (child.type.startsWith('preproc_')) {
        visit(child);
      }
    }
  };
  visit(tree.rootNode);
  return out;
}
