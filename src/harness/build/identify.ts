/**
 * Is this source a Linux kernel we can build and judge, and of which era? The era comes from
 * the code of net/ipv4/route.c (the same detector `review` and `scan` use), never from the
 * version string: the patch commit itself says 2.6.38-rc2.
 */
import { badInput } from '../../core/errors.ts';
import { detectEra } from '../../csrc/era.ts';
import { extractFacts } from '../../csrc/facts.ts';
import type { Era } from '../../model/types.ts';
import { makefileVersion, type SourceReader } from './source.ts';

export interface KernelSourceFacts {
  version: string;
  era: Era;
  eraReason: string;
  /**
   * How to configure it: `modern` trees have tinyconfig and olddefconfig; `seed-era` trees
   * (2.6.39 .. 3.6) start from allnoconfig and answer oldconfig's questions with the defaults.
   */
  recipe: 'modern' | 'seed-era';
  /** Host tools the tree's own build steps need, with why (exit 3 when one is missing). */
  tools: Map<string, string>;
}

const KERNEL_MARKERS = ['Makefile', 'Kconfig', 'arch/x86/Kconfig', 'scripts/kconfig/Makefile', 'net/ipv4/route.c'];

export async function identifyKernelSource(src: SourceReader): Promise<KernelSourceFacts> {
  for (const f of KERNEL_MARKERS) {
    if (!(await src.exists(f))) throw badInput(`${src.label} is not a Linux source tree we can build (no ${f})`);
  }
  const makefile = (await src.read('Makefile')) ?? '';
  const version = makefileVersion(makefile);
  if (!/^\d+\.\d+/.test(version)) throw badInput(`${src.label} is not a Linux source tree (its Makefile sets no VERSION/PATCHLEVEL)`);
  const routeC = (await src.read('net/ipv4/route.c')) ?? '';
  const v = detectEra(extractFacts(routeC, 'net/ipv4/route.c'));
  if (v.era === 'unknown') throw badInput(`${src.label}: Linux ${version} is of an era peerprop does not know: ${v.reason}`);
  const kconfigMk = (await src.read('scripts/kconfig/Makefile')) ?? '';
  const recipe = /\bolddefconfig\b/.test(kconfigMk) ? 'modern' : 'seed-era';

  const tools = new Map<string, string>([
    ['make', 'the kernel build'],
    ['gcc', 'the kernel build'],
    ['ld', 'the kernel build'],
    ['tar', 'the scratch copy'],
  ]);
  if (await src.exists('kernel/timeconst.pl')) tools.set('perl', 'kernel/timeconst.pl');
  if (await src.exists('kernel/time/timeconst.bc')) tools.set('bc', 'kernel/time/timeconst.bc');
  else if (await src.exists('kernel/timeconst.bc')) tools.set('bc', 'kernel/timeconst.bc');
  // Old trees ship the generated Kconfig lexer and parser; newer ones generate them.
  if (!(await src.exists('scripts/kconfig/lex.zconf.c_shipped')) && !(await src.exists('scripts/kconfig/zconf.lex.c_shipped'))) {
    tools.set('flex', 'the Kconfig lexer');
    tools.set('bison', 'the Kconfig parser');
  }
  if (/\bperl\b/.test(makefile)) tools.set('perl', tools.get('perl') ?? 'the top Makefile');
  return { version, era: v.era, eraReason: v.reason, recipe, tools };
}
