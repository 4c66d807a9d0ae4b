/**
 * Where the function definitions of a C file are: in the syntax tree (also inside
 * preprocessor blocks and ERROR regions, with a name read from the header text when a
 * macro garbles the declarator), and by kernel-style text layout, so that definitions
 * the parser could not see are reported rather than dropped.
 */
import type { SyntaxNode } from './parse.ts';
import { functionName } from './parse.ts';
import { oneLine } from './syntax.ts';

export interface FoundFunction {
  name: string;
  node: SyntaxNode;
  nameFromText: boolean;
}

/** Name from the header text when the declarator is garbled by a macro. */
export function nameFromHeader(def: SyntaxNode): string | undefined {
  const body = def.childForFieldName('body');
  const header = body ? def.text.slice(0, body.startIndex - def.startIndex) : def.text.split('{')[0];
  const m = /([A-Za-z_]\w*)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$/.exec(header.trim());
  return m?.[1];
}

export function findFunctions(root: SyntaxNode): FoundFunction[] {
  const out: FoundFunction[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const child of n.namedChildren) {
      if (child.type === 'function_definition') {
        const name = functionName(child);
        if (name) out.push({ name, node: child, nameFromText: false });
        else {
          const guessed = nameFromHeader(child);
          if (guessed) out.push({ name: guessed, node: child, nameFromText: true });
        }
      } else if (child.type.startsWith('preproc_') || child.type === 'ERROR' || child.type === 'linkage_specification' || child.type === 'declaration_list') {
        visit(child);
      }
    }
  };
  visit(root);
  return out;
}

/**
 * Kernel style puts a definition's header at column 0 and its `{` alone on the next
 * line. Headers found that way but missing from the syntax tree are reported as unparsed.
 */
export function textualDefinitions(source: string): { name: string; line: number }[] {
  const lines = source.split('\n');
  const out: { name: string; line: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!/^\{\s*$/.test(lines[i]!)) continue;
    // The header: the lines above the `{` back to one that starts at column 0.
    let j = i - 1;
    while (j >= 0 && i - j <= 8 && lines[j]!.trim() !== '' && !/^[A-Za-z_]/.test(lines[j]!)) j--;
    if (j < 0 || i - j > 8 || !/^[A-Za-z_]/.test(lines[j]!) || /^(typedef|struct|union|enum)\b[^(]*$/.test(lines[j]!)) continue;
    const header = lines.slice(j, i).join(' ');
    if (/;\s*$/.test(lines[i - 1]!) || /=\s*$/.test(lines[i - 1]!)) continue;
    // The name: the first identifier followed by a parameter list (not by `((` as attributes are).
    const re = /([A-Za-z_]\w*)\s*\((?!\()/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(header))) {
      const name = m[1]!;
      if (['if', 'for', 'while', 'switch', 'return', 'sizeof', '__attribute__', 'typeof', '__typeof__'].includes(name)) continue;
      out.push({ name, line: j + 1 });
      break;
    }
  }
  return out;
}


/** The header as written, on one line (`static u32 rt_peer_genid(void)`). */
export function signatureOf(def: SyntaxNode): string {
  const body = def.childForFieldName('body');
  return oneLine(body ? def.text.slice(0, body.startIndex - def.startIndex) : def.text.split('{')[0] ?? '');
}
