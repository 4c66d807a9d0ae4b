/**
 * BTF made from DWARF with pahole (Debian's dwarves): for kernels that predate BTF (the seed
 * era, 2.6.39 .. 3.5) the same reader then serves both eras. `--btf_encode_detached` writes the
 * BTF to its own file, so the user's vmlinux is never modified. Cached per vmlinux content and
 * pahole version (a newer pahole may encode more).
 *
 *   const b = await btfFromDwarf('/cache/.../vmlinux', cacheRoot);   // { blob, source } | undefined (no pahole)
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { PeerpropError, ExitCode } from '../../core/errors.ts';
import { fileHash } from '../dir.ts';

let paholeVersion: Promise<string | undefined> | undefined;

/** `pahole --version` (v1.24), or undefined when pahole is not installed. */
export function paholeVersionOf(): Promise<string | undefined> {
  paholeVersion ??= $({ quiet: true, nothrow: true })`pahole --version`.then((r) => (r.exitCode === 0 ? r.stdout.trim() : undefined), () => undefined);
  return paholeVersion;
}

export interface PaholeStats {
  cached?: boolean;
  encodeMs?: number;
}

/** The BTF pahole encodes from the vmlinux's DWARF (cached), or undefined when pahole is missing. */
export async function btfFromDwarf(vmlinux: string, cacheRoot: string, stats: PaholeStats = {}): Promise<{ blob: Buffer; source: string } | undefined> {
  const version = await paholeVersionOf();
  if (!version) return undefined;
  const key = `${await fileHash(vmlinux)}-pahole${version.replace(/[^A-Za-z0-9.]/g, '')}`;
  const out = path.join(cacheRoot, 'btf', `${key}.btf`);
  const source = `BTF encoded by pahole ${version} from the DWARF of ${vmlinux}`;
  const cached = await readFile(out).catch(() => undefined);
  if (cached) {
    stats.cached = true;
    return { blob: cached, source };
  }
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const t0 = performance.now();
  const r = await $({ quiet: true, nothrow: true })`pahole --btf_encode_detached=${tmp} ${vmlinux}`;
  stats.encodeMs = performance.now() - t0;
  const blob = await readFile(tmp).catch(() => undefined);
  if (r.exitCode !== 0 || !blob || blob.length < 24) {
    await rm(tmp, { force: true });
    const why = (r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.exitCode}`;
    throw new PeerpropError(`pahole could not encode the DWARF of ${vmlinux} as BTF: ${why}`, ExitCode.EnvMissing);
  }
  await rename(tmp, out);
  stats.cached = false;
  return { blob, source };
}
