/**
 * Configuring a scratch tree: a minimal base (tinyconfig / allnoconfig), the fragment applied
 * over it, and the dependencies resolved by the tree's own Kconfig (olddefconfig, or oldconfig
 * with every question answered by its default on trees that predate olddefconfig). Every
 * requested value must be in the final .config; the fragment is re-applied a few times so that
 * an option whose dependency is enabled by the same fragment survives.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { badInput, envMissing, PeerpropError, ExitCode } from '../../core/errors.ts';
import { CONFIG_FRAGMENT_DIR, checkConfig, mergeFragments, type ConfigMismatch } from '../build-kernel.ts';

export const SEED_ERA_FRAGMENT_DIR = join(CONFIG_FRAGMENT_DIR, 'seed-era');

/** The fragment files of a recipe, in name order. */
export async function recipeFragments(recipe: 'modern' | 'seed-era'): Promise<string[]> {
  const dir = recipe === 'modern' ? CONFIG_FRAGMENT_DIR : SEED_ERA_FRAGMENT_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.config')).sort();
  if (files.length === 0) throw envMissing(`no config fragment in ${dir}`);
  return files.map((f) => join(dir, f));
}

export interface ConfigureOptions {
  recipe: 'modern' | 'seed-era';
  fragments: string[];
  /** make variables every make call gets (ARCH, CC, HOSTCC). */
  makeVars: string[];
}

export async function configureTree(dir: string, opts: ConfigureOptions): Promise<void> {
  const fragText = await Promise.all(opts.fragments.map((f) => readFile(f, 'utf8')));
  const base = opts.recipe === 'modern' ? 'tinyconfig' : 'allnoconfig';
  await makeIn(dir, opts.makeVars, [base]);
  const config = join(dir, '.config');
  let mismatches: ConfigMismatch[] = [];
  for (let round = 0; round < 3; round++) {
    await writeFile(config, mergeFragments(await readFile(config, 'utf8'), fragText));
    if (opts.recipe === 'modern') await makeIn(dir, opts.makeVars, ['olddefconfig']);
    else await makeIn(dir, opts.makeVars, ['oldconfig'], true);
    mismatches = checkConfig(await readFile(config, 'utf8'), fragText);
    if (mismatches.length === 0) return;
  }
  const m = mismatches[0]!;
  throw badInput(
    `Value requested for ${m.option} not in final .config (requested ${m.requested}, actual ${m.actual})` +
      (mismatches.length > 1 ? `; and ${mismatches.length - 1} more: ${mismatches.slice(1).map((x) => x.option).join(', ')}` : ''),
    { file: opts.fragments[0]! },
  );
}

/** `make` in the scratch tree; `defaults` answers every oldconfig question with its default. */
export async function makeIn(dir: string, vars: string[], targets: string[], defaults = false): Promise<void> {
  const r = defaults
    ? await $({ quiet: true, nothrow: true, cwd: dir })`(yes '' || true) | make ${vars} ${targets}`
    : await $({ quiet: true, nothrow: true, cwd: dir })`make ${vars} ${targets}`;
  if (r.exitCode !== 0) {
    const line = (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
    throw new PeerpropError(`make ${targets.join(' ')} failed in ${dir}: ${line}`, ExitCode.EnvMissing);
  }
}
