/**
 * The fixes an old tree needs to build with today's compiler, detected from the tree itself
 * (so a tree that already has them, or a modern tree, gets none) and applied to the scratch
 * copy only. None of them changes the code under test: they are build plumbing.
 *
 *   compiler-gccN-header   include/linux/compiler-gcc.h includes compiler-gcc<__GNUC__>.h and
 *                          the tree knows gcc <= 4: compiler-gcc<N>.h becomes a copy of compiler-gcc4.h
 *   timeconst-defined      kernel/timeconst.pl uses `defined(@array)` (perl >= 5.22 refuses it)
 *   decompressor-no-sse    arch/x86/boot/compressed/Makefile lets gcc use SSE in the
 *                          decompressor (gcc 12 vectorises it; the boot stub has no FPU state)
 *   no-pie                 the compiler builds PIE by default and the tree predates -fno-PIE
 *                          in its Makefile: the compiler wrapper passes -fno-pie first (so the
 *                          decompressor's own -fPIC still wins) and -Wno-error last
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceReader } from './source.ts';

export type FixId = 'compiler-gccN-header' | 'timeconst-defined' | 'decompressor-no-sse' | 'no-pie';

export interface FixPlan {
  id: FixId;
  file: string;
  /** One line for the report: what is done and why. */
  what: string;
}

export interface CompilerFacts {
  major: number;
  defaultPie: boolean;
}

export const DECOMPRESSOR_FLAGS = '-mno-mmx -mno-sse -mno-sse2 -mno-3dnow -mno-avx -fno-tree-vectorize';

const DEFINED_ARRAY = /defined\s*\(\s*(@[A-Za-z_][A-Za-z0-9_]*)\s*\)/g;

/** Which fixes this source needs with this compiler (reads at most four files). */
export async function detectFixes(src: SourceReader, cc: CompilerFacts): Promise<FixPlan[]> {
  const plans: FixPlan[] = [];
  const header = `include/linux/compiler-gcc${cc.major}.h`;
  const gccH = await src.read('include/linux/compiler-gcc.h');
  if (gccH && /compiler-gcc##\w+\.h|gcc_header\(__GNUC__\)/.test(gccH) && !(await src.exists(header)) && (await src.exists('include/linux/compiler-gcc4.h'))) {
    plans.push({ id: 'compiler-gccN-header', file: header, what: `${header}: a copy of compiler-gcc4.h (the tree knows gcc <= 4, this is gcc ${cc.major})` });
  }
  const timeconst = await src.read('kernel/timeconst.pl');
  if (timeconst && new RegExp(DEFINED_ARRAY.source).test(timeconst)) {
    plans.push({ id: 'timeconst-defined', file: 'kernel/timeconst.pl', what: 'kernel/timeconst.pl: `defined(@array)` becomes `@array` (perl 5.22+ refuses the old form)' });
  }
  const boot = await src.read('arch/x86/boot/compressed/Makefile');
  if (boot && !/-mno-sse/.test(boot) && /^KBUILD_CFLAGS\s*:=/m.test(boot)) {
    plans.push({ id: 'decompressor-no-sse', file: 'arch/x86/boot/compressed/Makefile', what: `arch/x86/boot/compressed/Makefile: KBUILD_CFLAGS += ${DECOMPRESSOR_FLAGS} (gcc ${cc.major} vectorises the decompressor otherwise)` });
  }
  const top = (await src.read('Makefile')) ?? '';
  if (cc.defaultPie && !/-fno-pie/i.test(top)) {
    plans.push({ id: 'no-pie', file: 'Makefile', what: 'compiler wrapper: gcc -fno-pie ... -Wno-error (this gcc builds PIE by default; the tree predates -fno-PIE)' });
  }
  return plans;
}

/** Applies the file-editing fixes to the scratch copy `dir` (the wrapper fix is the builder's). */
export async function applyFixes(dir: string, plans: FixPlan[]): Promise<void> {
  for (const p of plans) {
    const file = join(dir, p.file);
    switch (p.id) {
      case 'compiler-gccN-header':
        await writeFile(file, await readFile(join(dir, 'include/linux/compiler-gcc4.h'), 'utf8'));
        break;
      case 'timeconst-defined':
        await writeFile(file, (await readFile(file, 'utf8')).replace(DEFINED_ARRAY, '$1'));
        break;
      case 'decompressor-no-sse':
        await writeFile(file, addDecompressorFlags(await readFile(file, 'utf8')));
        break;
      case 'no-pie':
        break;
    }
  }
}

/** Adds the no-SSE flags right after the `KBUILD_CFLAGS :=` assignment (and its continuation lines). */
export function addDecompressorFlags(makefile: string): string {
  const lines = makefile.split('\n');
  let i = lines.findIndex((l) => /^KBUILD_CFLAGS\s*:=/.test(l));
  if (i < 0) return makefile;
  while (lines[i]!.endsWith('\\') && i + 1 < lines.length) i++;
  lines.splice(i + 1, 0, `KBUILD_CFLAGS += ${DECOMPRESSOR_FLAGS}`);
  return lines.join('\n');
}

/** The compiler wrapper's text: ccache when present, and the no-pie fix's flags when planned. */
export function wrapperScript(plans: FixPlan[], ccache: string | undefined): string {
  const pie = plans.some((p) => p.id === 'no-pie');
  const cc = ccache ? `${ccache} gcc` : 'gcc';
  return `#!/bin/sh\nexec ${cc}${pie ? ' -fno-pie' : ''} "$@"${pie ? ' -Wno-error' : ''}\n`;
}
