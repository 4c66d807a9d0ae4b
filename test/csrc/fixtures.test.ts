/** The fixture trees are ours: they parse cleanly and carry no kernel copyright lines. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseC, type SyntaxNode } from '../../src/csrc/parse.ts';
import { treesDir } from './helpers.ts';

function cFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return cFiles(p);
    return /\.[ch]$/.test(name) ? [p] : [];
  });
}

function problems(n: SyntaxNode, out: string[] = []): string[] {
  if (n.type === 'ERROR' || n.isMissing) out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.type}`);
  for (const c of n.children) problems(c, out);
  return out;
}

describe('kernel-fixtures/trees', () => {
  const files = cFiles(treesDir);

  it('holds the four stages', () => {
    const rel = files.map((f) => relative(treesDir, f)).sort();
    for (const t of ['pre-seed', 'seed', 'pmtu-redirect', 'fnhe']) expect(rel).toContain(`${t}/net/ipv4/route.c`);
  });

  for (const f of files) {
    it(`${relative(treesDir, f)} parses without ERROR nodes and has no kernel copyright`, () => {
      const src = readFileSync(f, 'utf8');
      expect(problems(parseC(src).rootNode)).toEqual([]);
      expect(src).not.toMatch(/SPDX-License-Identifier|Copyright|\(C\) 19|\(C\) 20|Authors?:/i);
      expect(src).toMatch(/peerprop fixture/);
    });
  }
});
