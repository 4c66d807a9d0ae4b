/**
 * A build's cache key: everything that changes the binary and nothing else. The source by
 * content (git tree id, or a hash of the directory's files), the config fragments' text, the
 * compiler and linker, the fixes applied, the recipe. Two commits with the same tree share a
 * build; a one-byte change anywhere in that list gives a new one.
 */
import { createHash } from 'node:crypto';

/** Bumped when the build steps change in a way the other parts do not capture. */
export const RECIPE_VERSION = 1;

export interface KeyParts {
  contentId: string;
  recipe: string;
  fragments: string[];
  compiler: string;
  fixes: string[];
  arch: string;
}

export function buildKey(p: KeyParts): string {
  const h = createHash('sha256');
  const field = (name: string, value: string) => h.update(`${name}=${value.length}:${value}\n`);
  field('recipe-version', String(RECIPE_VERSION));
  field('content', p.contentId);
  field('recipe', p.recipe);
  field('arch', p.arch);
  field('compiler', p.compiler);
  for (const f of p.fragments) field('fragment', f);
  for (const f of [...p.fixes].sort()) field('fix', f);
  return h.digest('hex').slice(0, 16);
}
