/**
 * What the differential check of a route.c depends on: the protocol functions, everything they
 * reach by name (functions, globals, macros, types defined in the file), transitively. Two
 * revisions whose closures have the same text get the same check result, so the (costly)
 * check runs once per distinct closure, not once per distinct route.c blob: most route.c
 * commits do not touch rt_bind_peer / ipv4_dst_check.
 */
import { createHash } from 'node:crypto';
import { functionName, type SyntaxNode, type Tree } from '../csrc/parse.ts';

/** Where the evaluator starts (src/verify/csystem.ts runs these by name when they exist). */
export const CHECK_ROOTS = ['rt_bind_peer', 'ipv4_dst_check', 'rt_peer_genid', '__rt_peer_genid', 'ipv4_dst_destroy'];

interface Item {
  node: SyntaxNode;
  defines: string[];
}

export interface Closure {
  /** Hash of the texts of the items in the closure (source order). */
  key: string;
  /** 1-based line spans of the items, source order (for moving line numbers between revisions). */
  spans: { start: number; end: number }[];
  names: string[];
}

function declaratorName(d: SyntaxNode | null): string | undefined {
  let cur: SyntaxNode | null = d;
  while (cur && cur.type !== 'identifier' && cur.type !== 'type_identifier') {
    cur = cur.childForFieldName('declarator') ?? cur.namedChildren.find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null;
  }
  return cur?.text;
}

function definedNames(n: SyntaxNode): string[] {
  switch (n.type) {
    case 'function_definition': {
      const name = functionName(n);
      return name ? [name] : [];
    }
    case 'declaration':
    case 'type_definition': {
      const out: string[] = [];
      for (const d of n.childrenForFieldName('declarator')) {
        const name = declaratorName(d);
        if (name) out.push(name);
      }
      // `struct x { ... } y;` defines the tag x; `struct x *y;` only uses it.
      const t = n.childForFieldName('type');
      const tag = t?.childForFieldName('body') ? t.childForFieldName('name')?.text : undefined;
      if (tag) out.push(tag);
      return out;
    }
    case 'preproc_def':
    case 'preproc_function_def': {
      const name = n.childForFieldName('name')?.text;
      return name ? [name] : [];
    }
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier': {
      const name = n.childForFieldName('name')?.text;
      return name ? [name] : [];
    }
    default:
      return [];
  }
}

/** Names an item refers to (identifiers, type names, words of macro bodies). Native descendant search: fast. */
function usedNames(n: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const x of n.descendantsOfType(['identifier', 'type_identifier'])) out.add(x.text);
  for (const x of n.descendantsOfType('preproc_arg')) for (const m of x.text.matchAll(/[A-Za-z_]\w*/g)) out.add(m[0]);
  return out;
}

/** Top-level items, also inside #if / #ifdef blocks. */
function topLevelItems(root: SyntaxNode): Item[] {
  const out: Item[] = [];
  const visit = (n: SyntaxNode) => {
    for (const c of n.namedChildren) {
      if (c.type.startsWith('preproc_if') || c.type === 'preproc_else' || c.type === 'preproc_elif') visit(c);
      else {
        const defines = definedNames(c);
        if (defines.length > 0) out.push({ node: c, defines });
      }
    }
  };
  visit(root);
  return out;
}

export function checkClosure(tree: Tree, era: string): Closure {
  const items = topLevelItems(tree.rootNode);
  const byName = new Map<string, Item[]>();
  for (const it of items) for (const d of it.defines) byName.set(d, [...(byName.get(d) ?? []), it]);
  const picked = new Set<Item>();
  const seen = new Set<string>();
  const queue = [...CHECK_ROOTS];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const it of byName.get(name) ?? []) {
      if (picked.has(it)) continue;
      picked.add(it);
      for (const u of usedNames(it.node)) if (!seen.has(u)) queue.push(u);
    }
  }
  const ordered = items.filter((it) => picked.has(it));
  const h = createHash('sha256').update(era);
  for (const it of ordered) h.update('\0').update(it.node.text);
  return {
    key: h.digest('hex'),
    spans: ordered.map((it) => ({ start: it.node.startPosition.row + 1, end: it.node.endPosition.row + 1 })),
    names: ordered.flatMap((it) => it.defines),
  };
}

/** Maps a line of the revision a result was computed on to the same line of another revision with an equal closure. */
export function lineMapper(from: Closure, to: Closure): (line: number) => number {
  return (line) => {
    const i = from.spans.findIndex((s) => s.start <= line && line <= s.end);
    if (i < 0 || !to.spans[i]) return line;
    return line + to.spans[i]!.start - from.spans[i]!.start;
  };
}
