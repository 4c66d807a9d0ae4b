/**
 * The shape of src/: no import cycle between files or between top-level folders, and no file
 * that has grown past what one job needs. Type-only imports are erased at run time and do not
 * count; dynamic imports of a literal path do (they load the module all the same).
 *
 * Run the same check by hand: `npx vitest run test/architecture`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SRC, staticImports } from '../helpers/import-graph.ts';

const MAX_LINES = 500;
/**
 * Files still over the limit, each with the size it may not grow past: a ratchet (none left; a
 * file that must grow past the limit is split along its jobs instead). Lower a ceiling, never raise it.
 */
const STILL_TOO_BIG: Record<string, number> = {};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Relative run-time imports of a module: static ones (staticImports), and `import('./x')` of a literal path. */
function runtimeImports(text: string, file: string): string[] {
  const out = staticImports(text).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

/** Strongly connected components of more than one node (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || graph.get(v)?.has(v)) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = sourceFiles(SRC);
const fileGraph = new Map<string, Set<string>>();
for (const f of files) fileGraph.set(relative(SRC, f), new Set(runtimeImports(readFileSync(f, 'utf8'), f).map((d) => relative(SRC, d))));
const folderOf = (f: string) => (f.includes('/') ? f.split('/')[0]! : '.');
const folderGraph = new Map<string, Set<string>>();
for (const [f, deps] of fileGraph) {
  const a = folderOf(f);
  if (!folderGraph.has(a)) folderGraph.set(a, new Set());
  for (const d of deps) if (folderOf(d) !== a) folderGraph.get(a)!.add(folderOf(d));
}

describe('src/ architecture', () => {
  it('finds the imports it is meant to find (and skips type-only ones)', () => {
    const f = join(SRC, 'x/a.ts');
    const text = [
      "import { a } from './b.ts';",
      "import type { T } from './c.ts';",
      "import { type U, type V } from './d.ts';",
      "export { e } from '../y/e.ts';",
      "export type { W } from './f.ts';",
      "const g = await import('./g.ts');",
      "// import { h } from './h.ts';",
    ].join('\n');
    expect(runtimeImports(text, f).map((p) => relative(SRC, p))).toEqual(['x/b.ts', 'y/e.ts', 'x/g.ts']);
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])], ['c', new Set(['a'])]]))).toEqual([['a', 'b']]);
  });

  it('has no import cycle between files', () => {
    expect(cycles(fileGraph)).toEqual([]);
  });

  it('has no import cycle between top-level folders', () => {
    expect(cycles(folderGraph)).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines, and the ones still over it do not grow`, () => {
    const big = files
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > (STILL_TOO_BIG[x.file] ?? MAX_LINES));
    expect(big).toEqual([]);
  });
});
