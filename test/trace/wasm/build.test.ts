/**
 * The committed scan.wasm is what its C source builds to: `npm run build:wasm` (scripts/build-wasm.sh)
 * run again into a temp dir gives the same bytes, twice. Needs clang-16 and wasm-ld-16 (Debian
 * clang-16 lld-16, installed by scripts/setup.sh): without them it is skipped with the reason,
 * except in CI, where it fails.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.ts';

const hasClang = spawnSync('bash', ['-c', 'command -v clang-16 && command -v wasm-ld-16'], { encoding: 'utf8' }).status === 0;
const inCi = Boolean(process.env.CI);
const why = 'clang-16 and wasm-ld-16 are not installed (Debian packages clang-16 lld-16; scripts/setup.sh installs them)';

function build(out: string): Buffer {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/build-wasm.sh'), out], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/warning|error/i);
  expect(r.status).toBe(0);
  return readFileSync(out);
}

describe('scan.wasm', () => {
  it.skipIf(!hasClang && !inCi)(`is what scan.c builds to, byte for byte${hasClang || inCi ? '' : ` (skipped: ${why})`}`, () => {
    if (!hasClang) throw new Error(`${why}: CI must have them`);
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-wasm-'));
    try {
      const a = build(join(dir, 'a.wasm'));
      const b = build(join(dir, 'b.wasm'));
      expect(b.equals(a)).toBe(true);
      const committed = readFileSync(join(repoRoot, 'src/trace/wasm/scan.wasm'));
      expect(a.equals(committed), 'src/trace/wasm/scan.wasm is stale: run `npm run build:wasm` and commit it').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
