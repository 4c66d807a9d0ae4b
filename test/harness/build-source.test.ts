import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PeerpropError } from '../../src/core/errors.ts';
import { addDecompressorFlags, applyFixes, buildKernel, buildKey, detectFixes, dirSource, gitSource, hashTree, identifyKernelSource, requireTools, wrapperScript } from '../../src/harness/build/index.ts';
import { runCli } from '../helpers/cli.ts';
import { buildRepo, repoRoot } from '../scan/helpers.ts';

/**
 * A tiny tree with the shape of a 2.6.39 tree where it matters to the builder: the files the
 * fixes touch (written here, in their old form) and a route.c of the pmtu-redirect stage (the
 * fixture written for peerprop). It is not a kernel: nothing here compiles it.
 */
const ROUTE_C = readFileSync(join(repoRoot, 'kernel-fixtures/trees/pmtu-redirect/net/ipv4/route.c'), 'utf8');
const OLD_TREE: Record<string, string> = {
  Makefile: 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 39\nEXTRAVERSION = .3\nKBUILD_CFLAGS := -Wall\n',
  Kconfig: 'mainmenu "test"\n',
  'arch/x86/Kconfig': 'config X86\n\tdef_bool y\n',
  'scripts/kconfig/Makefile': 'oldconfig: $(obj)/conf\n\t$< -o $(Kconfig)\n',
  'scripts/kconfig/lex.zconf.c_shipped': '/* generated */\n',
  'net/ipv4/route.c': ROUTE_C,
  'include/linux/compiler-gcc.h': '#define __gcc_header(x) #x\n#define _gcc_header(x) __gcc_header(linux/compiler-gcc##x.h)\n#define gcc_header(x) _gcc_header(x)\n#include gcc_header(__GNUC__)\n',
  'include/linux/compiler-gcc4.h': '/* gcc 4 definitions */\n#define __used __attribute__((__used__))\n',
  'kernel/timeconst.pl': 'sub compute { my @val = @_;\n\tif (!defined(@val)) {\n\t\treturn 0;\n\t}\n\treturn defined( @val ) ? 1 : 0;\n}\n',
  'arch/x86/boot/compressed/Makefile': 'KBUILD_CFLAGS := -m$(BITS) -D__KERNEL__ \\\n\t-O2\nKBUILD_CFLAGS += -fno-strict-aliasing -fPIC\n',
};
const MODERN_TREE: Record<string, string | null> = {
  ...OLD_TREE,
  'scripts/kconfig/lex.zconf.c_shipped': null,
  Makefile: 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION =\nKBUILD_CFLAGS += -fno-PIE\n',
  'scripts/kconfig/Makefile': 'olddefconfig: $(obj)/conf\n',
  'include/linux/compiler-gcc.h': '/* one header for every gcc */\n',
  'kernel/timeconst.pl': '',
  'arch/x86/boot/compressed/Makefile': 'KBUILD_CFLAGS := -m$(BITS) -O2\nKBUILD_CFLAGS += -mno-mmx -mno-sse\n',
  'net/ipv4/route.c': readFileSync(join(repoRoot, 'kernel-fixtures/trees/fnhe/net/ipv4/route.c'), 'utf8'),
};

const tmp: string[] = [];
function writeTree(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'peerprop-fake-tree-'));
  tmp.push(dir);
  for (const [p, text] of Object.entries(files)) {
    if (text === null) continue;
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const GCC12 = { major: 12, defaultPie: true };

describe('fixes for an old tree with a new compiler', () => {
  it('detects the four fixes on a 2.6.39-shaped tree, from the files themselves', async () => {
    const plans = await detectFixes(await dirSource(writeTree(OLD_TREE)), GCC12);
    expect(plans.map((p) => p.id)).toEqual(['compiler-gccN-header', 'timeconst-defined', 'decompressor-no-sse', 'no-pie']);
    expect(plans[0]!.file).toBe('include/linux/compiler-gcc12.h');
  });

  it('detects none on a modern-shaped tree, and only what applies to this compiler', async () => {
    expect(await detectFixes(await dirSource(writeTree(MODERN_TREE)), GCC12)).toEqual([]);
    const old = await dirSource(writeTree(OLD_TREE));
    // gcc 4 has its header, a non-PIE gcc needs no wrapper flags.
    expect((await detectFixes(old, { major: 4, defaultPie: false })).map((p) => p.id)).toEqual(['timeconst-defined', 'decompressor-no-sse']);
    const withHeader = await dirSource(writeTree({ ...OLD_TREE, 'include/linux/compiler-gcc12.h': '/* already there */\n' }));
    expect((await detectFixes(withHeader, GCC12)).map((p) => p.id)).not.toContain('compiler-gccN-header');
  });

  it('applies them to a scratch copy only; the copy then needs none of the file fixes', async () => {
    const user = writeTree(OLD_TREE);
    const before = await hashTree(user);
    const src = await dirSource(user);
    const plans = await detectFixes(src, GCC12);
    const scratch = mkdtempSync(join(tmpdir(), 'peerprop-scratch-'));
    tmp.push(scratch);
    await src.extract(scratch);
    await applyFixes(scratch, plans);
    expect(await hashTree(user)).toBe(before);
    expect(existsSync(join(user, 'include/linux/compiler-gcc12.h'))).toBe(false);
    expect(readFileSync(join(scratch, 'include/linux/compiler-gcc12.h'), 'utf8')).toBe(OLD_TREE['include/linux/compiler-gcc4.h']);
    const tc = readFileSync(join(scratch, 'kernel/timeconst.pl'), 'utf8');
    expect(tc).toContain('if (!@val) {');
    expect(tc).toContain('return @val ? 1 : 0;');
    expect(tc).not.toMatch(/defined\s*\(\s*@/);
    const mk = readFileSync(join(scratch, 'arch/x86/boot/compressed/Makefile'), 'utf8').split('\n');
    // After the whole `:=` assignment (a continued line), before the decompressor's own -fPIC.
    expect(mk[2]).toBe('KBUILD_CFLAGS += -mno-mmx -mno-sse -mno-sse2 -mno-3dnow -mno-avx -fno-tree-vectorize');
    expect(mk[3]).toContain('-fPIC');
    const again = await detectFixes(await dirSource(scratch), GCC12);
    expect(again.map((p) => p.id)).toEqual(['no-pie']);
  });

  it('adds the decompressor flags once, and not to a Makefile without the assignment', () => {
    expect(addDecompressorFlags('all:\n\ttrue\n')).toBe('all:\n\ttrue\n');
    expect(addDecompressorFlags('KBUILD_CFLAGS := -O2\n').split('\n')).toEqual(['KBUILD_CFLAGS := -O2', expect.stringContaining('-mno-sse'), '']);
  });

  it('puts -fno-pie before the arguments and -Wno-error after them, through ccache when there is one', async () => {
    const plans = await detectFixes(await dirSource(writeTree(OLD_TREE)), GCC12);
    expect(wrapperScript(plans, '/usr/bin/ccache')).toBe('#!/bin/sh\nexec /usr/bin/ccache gcc -fno-pie "$@" -Wno-error\n');
    expect(wrapperScript([], undefined)).toBe('#!/bin/sh\nexec gcc "$@"\n');
  });
});

describe('what the source is', () => {
  it('tells the era from route.c, the recipe from Kconfig, the tools from the tree', async () => {
    const old = await identifyKernelSource(await dirSource(writeTree(OLD_TREE)));
    expect(old).toMatchObject({ version: '2.6.39.3', era: 'pmtu-redirect', recipe: 'seed-era' });
    expect([...old.tools.keys()]).toEqual(expect.arrayContaining(['make', 'gcc', 'perl']));
    expect(old.tools.has('flex')).toBe(false); // the lexer is shipped
    const modern = await identifyKernelSource(await dirSource(writeTree(MODERN_TREE)));
    expect(modern).toMatchObject({ version: '6.1.0', era: 'fnhe', recipe: 'modern' });
    expect(modern.tools.get('flex')).toBe('the Kconfig lexer');
  });

  it('refuses a tree that is not a kernel, and one of an era it does not know (exit 2)', async () => {
    const notKernel = writeTree({ 'README.md': 'hello\n', Makefile: 'all:\n' });
    await expect(buildKernel({ tree: notKernel })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a Linux source tree we can build (no Kconfig)') });
    const unknown = writeTree({ ...OLD_TREE, 'net/ipv4/route.c': 'int main(void) { return 0; }\n' });
    await expect(buildKernel({ tree: unknown })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('of an era peerprop does not know') });
    const run = await runCli(['kernel', 'build', '--tree', notKernel]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^peerprop: .*is not a Linux source tree we can build \(no Kconfig\)\n$/);
  });

  it('exits 3 naming the missing tool and its package', async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'peerprop-nopath-'));
    tmp.push(emptyPath);
    const err = await buildKernel({ tree: writeTree(OLD_TREE), pathVar: emptyPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(3);
    expect((err as PeerpropError).message).toMatch(/needs make \(Debian package make; the kernel build\), gcc \(Debian package gcc;.*perl \(Debian package perl; kernel\/timeconst\.pl\)/);
    expect(() => requireTools(new Map([['sh', 'x']]), '/bin:/usr/bin')).not.toThrow();
  });
});

describe('cache keys', () => {
  const parts = { contentId: 'git-tree:abc', recipe: 'seed-era', fragments: ['CONFIG_TUN=y\n'], compiler: 'gcc 12.2.0 | ld 2.40', fixes: ['no-pie', 'timeconst-defined'], arch: 'x86_64' };

  it('are the same for the same inputs and change with each of them', () => {
    const k = buildKey(parts);
    expect(buildKey({ ...parts, fixes: ['timeconst-defined', 'no-pie'] })).toBe(k); // a set, not a list
    const variants = [
      { contentId: 'git-tree:abd' },
      { fragments: ['CONFIG_TUN=m\n'] },
      { fragments: ['CONFIG_TUN=y\n', ''] },
      { compiler: 'gcc 12.3.0 | ld 2.40' },
      { fixes: ['no-pie'] },
      { recipe: 'modern' },
    ];
    const keys = variants.map((v) => buildKey({ ...parts, ...v }));
    expect(new Set([k, ...keys]).size).toBe(variants.length + 1);
  });

  it('follow a tree’s content (not its build leftovers) and a revision’s tree', async () => {
    const dir = writeTree(OLD_TREE);
    const h = await hashTree(dir);
    writeFileSync(join(dir, 'net/ipv4/route.o'), 'object');
    writeFileSync(join(dir, '.config'), 'CONFIG_X=y\n');
    expect(await hashTree(dir)).toBe(h);
    writeFileSync(join(dir, 'net/ipv4/route.c'), ROUTE_C + '\n/* edited */\n');
    expect(await hashTree(dir)).not.toBe(h);

    const repo = buildRepo([
      { message: 'tree', files: OLD_TREE },
      { message: 'docs only', files: { 'Documentation/x.txt': 'x\n' } },
      { message: 'revert docs', files: { 'Documentation/x.txt': null } },
    ], 'peerprop-build-git-');
    try {
      const [a, b, c] = await Promise.all(repo.commits.map((r) => gitSource(repo.dir, r)));
      expect(await a!.contentId()).toBe(await c!.contentId()); // same tree, same build
      expect(await a!.contentId()).not.toBe(await b!.contentId());
      expect(a!.subject).toBe('tree');
      expect((await detectFixes(a!, GCC12)).map((p) => p.id)).toEqual(['compiler-gccN-header', 'timeconst-defined', 'decompressor-no-sse', 'no-pie']);
      const out = mkdtempSync(join(tmpdir(), 'peerprop-archive-'));
      tmp.push(out);
      await a!.extract(out);
      expect(readFileSync(join(out, 'net/ipv4/route.c'), 'utf8')).toBe(ROUTE_C);
      await expect(gitSource(repo.dir, 'no-such-rev')).rejects.toMatchObject({ exitCode: 2 });
    } finally {
      repo.cleanup();
    }
  });
});

describe('the scratch directory', () => {
  it('is held by one build at a time; a lock left by a dead process is taken over', async () => {
    const { acquireScratch } = await import('../../src/harness/build/scratch.ts');
    const cache = mkdtempSync(join(tmpdir(), 'peerprop-scratch-lock-'));
    tmp.push(cache);
    mkdirSync(join(cache, 'scratch/lock'), { recursive: true });
    writeFileSync(join(cache, 'scratch/lock/pid'), '999999999'); // no such process
    const s = await acquireScratch(cache, () => {});
    expect(existsSync(s.dir)).toBe(true);
    const told: string[] = [];
    await expect(acquireScratch(cache, (l) => told.push(l), 100)).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/stayed locked by process \d+ \(another build is running/) });
    expect(told[0]).toMatch(/waiting for another kernel build/);
    await s.release();
    const again = await acquireScratch(cache, () => {}, 100);
    await again.release();
    expect(existsSync(join(cache, 'scratch/lock'))).toBe(false);
  });
});
