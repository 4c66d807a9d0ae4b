/**
 * The committed scan.wasm is what its C source builds to.
 * - Always (no compiler needed): its stamp (written by `npm run build:wasm`) names the sha256 of
 *   scan.c, of the build script (its flags) and of scan.wasm as they are now: a source edited
 *   without rebuilding, or a file replaced by hand, fails here on any machine.
 * - With clang-16 and wasm-ld-16 (Debian clang-16 lld-16, installed by scripts/setup.sh; in CI
 *   they must be there): two builds into a temp dir give the same bytes, and, when the compiler is
 *   the one the stamp names, the committed bytes. Another clang build may emit other bytes for
 *   the same source: that comparison is then skipped with the reason, the rest still holds.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.ts';

const hasClang = spawnSync('bash', ['-c', 'command -v clang-16 && command -v wasm-ld-16'], { encoding: 'utf8' }).status === 0;
const inCi = Boolean(process.env.CI);
const why = 'clang-16 and wasm-ld-16 are not installed (Debian packages clang-16 lld-16; scripts/setup.sh installs them)';
const dir = join(repoRoot, 'src/trace/wasm');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const stamp = new Map(
  readFileSync(join(dir, 'scan.wasm.stamp'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const),
);
const installedClang = hasClang ? spawnSync('clang-16', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]! : undefined;

function build(out: string): Buffer {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/build-wasm.sh'), out], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/warning|error/i);
  expect(r.status).toBe(0);
  return readFileSync(out);
}

describe('scan.wasm', () => {
  it('was built from this scan.c by this build script (its stamp), and is the file the stamp names', () => {
    const stale = 'src/trace/wasm/scan.wasm is stale: run `npm run build:wasm` and commit scan.wasm and scan.wasm.stamp';
    expect(stamp.get('source'), stale).toBe(sha(join(dir, 'scan.c')));
    expect(stamp.get('script'), stale).toBe(sha(join(repoRoot, 'scripts/build-wasm.sh')));
    expect(stamp.get('wasm'), stale).toBe(sha(join(dir, 'scan.wasm')));
    expect(stamp.get('clang')).toMatch(/^Debian clang version 16\./);
  });

  it.skipIf(!hasClang && !inCi)(`builds reproducibly${hasClang || inCi ? '' : ` (skipped: ${why})`}`, () => {
    if (!hasClang) throw new Error(`${why}: CI must have them`);
    const tmp = mkdtempSync(join(tmpdir(), 'peerprop-wasm-'));
    try {
      const a = build(join(tmp, 'a.wasm'));
      const b = build(join(tmp, 'b.wasm'));
      expect(b.equals(a)).toBe(true);
      if (installedClang === stamp.get('clang')) {
        expect(a.equals(readFileSync(join(dir, 'scan.wasm'))), 'src/trace/wasm/scan.wasm is stale: run `npm run build:wasm` and commit it').toBe(true);
      } else {
        console.warn(`scan.wasm: built by "${stamp.get('clang')}", this machine has "${installedClang}": bytes not compared (the stamp's source hashes still hold)`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
