/**
 * The modules a module loads when it is imported (its static run-time imports, followed through
 * src/): what a command pays at start-up before it does anything. Type-only imports are erased
 * and do not count; dynamic `import()` is what a command does when it runs, and is not followed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

export const SRC = resolve(import.meta.dirname, '../../src');

/** Specifiers a module imports statically at run time (relative paths and packages). */
export function staticImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const stat = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(stat)) {
    if (m[2]) continue; // import type / export type
    const clause = m[3] ?? '';
    const named = /^\s*\{([^}]*)\}\s*from\s+$/.exec(clause);
    if (m[1] === 'import' && named && named[1]!.split(',').every((n) => !n.trim() || /^type\s/.test(n.trim()))) continue;
    if (m[1] === 'export' && !clause) continue;
    out.push(m[4]!);
  }
  return out;
}

/** Files (relative to src/) and packages loaded by importing `entries` (relative to src/). */
export function loadedBy(...entries: string[]): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = entries.map((e) => resolve(SRC, e));
  while (stack.length) {
    const f = stack.pop()!;
    const rel = relative(SRC, f);
    if (files.has(rel)) continue;
    files.add(rel);
    for (const s of staticImports(readFileSync(f, 'utf8'))) {
      if (s.startsWith('.')) {
        const p = resolve(dirname(f), s);
        if (existsSync(p)) stack.push(p);
      } else if (!s.startsWith('node:')) packages.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}
