/**
 * The initramfs of a conform run: two newc archives concatenated into one initrd.
 *
 *   base (cached by content hash): busybox-static and its applet links, the workload binary,
 *        /init, device nodes. Identical for every run with the same tools.
 *   run:  this run's inputs: probe definitions, the kallsyms script, event groups, the scenario
 *        list, and the kernel's tun.ko (decompressed on the host: 6.12 ships tun.ko.xz).
 *
 * Uncompressed on purpose: under TCG, decompressing in the guest costs more than copying.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { envMissing } from '../core/errors.ts';
import { harnessCacheDir } from '../core/cache-dir.ts';
import { writeNewc, type CpioEntry } from './cpio.ts';
import { BUSYBOX_APPLETS, GUEST_PATHS, renderGuestInit } from './guest-init.ts';

/** One probe as the guest registers it. */
export interface GuestProbe {
  /** The kallsyms name wanted (base name; the guest substitutes a clone's name). */
  symbol: string;
  /** kprobe_events line. */
  line: string;
  /** A more conservative line with the same event and field names, tried if `line` is refused. */
  fallback?: string;
}

export interface InitramfsInput {
  workload: string;
  /** busybox-static binary; default: the first static busybox of /bin/busybox, /usr/bin/busybox, PATH. */
  busybox?: string;
  /** tun.ko, tun.ko.xz, tun.ko.zst or tun.ko.gz; omitted when TUN is built in. */
  tunModule?: string;
  probes: GuestProbe[];
  /**
   * Functions to look up in the guest's /proc/kallsyms (one pass, `tunwl --kallsyms`): a probe whose
   * symbol is absent is skipped and reported; a clone (`name.constprop.0`) is probed under its own name.
   * Empty or absent: no check, every probe is tried as written.
   */
  symbols?: string[];
  /** Trace event groups to enable. */
  groups: string[];
  scenarios: string[];
  /** A bare boot (the bench's baseline): init prints @@INIT_START and powers off. */
  bare?: boolean;
  /** Where to write the initrd (a file path). */
  output: string;
  cacheDir?: string;
  bufferKb?: number;
}

export interface InitramfsResult {
  path: string;
  bytes: number;
  baseCached: boolean;
  /** The run part's files by archive path (kept with --keep for a bug report). */
  runFiles: Record<string, string>;
}

const DEVICES: CpioEntry[] = [
  { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  { type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
  { type: 'chardev', path: 'dev/ttyS0', major: 4, minor: 64 },
  { type: 'chardev', path: 'dev/ttyS1', major: 4, minor: 65 },
];

export async function buildInitramfs(input: InitramfsInput): Promise<InitramfsResult> {
  const busybox = input.busybox ?? (await findStaticBusybox());
  const base = await baseArchive(busybox, input.workload, renderGuestInit({ bare: input.bare, bufferKb: input.bufferKb }), input.cacheDir);
  const runFiles: Record<string, string> = {
    [GUEST_PATHS.probes]: input.probes.map((p) => `${p.symbol}\t${p.line}\t${p.fallback ?? ''}`).join('\n') + '\n',
    [GUEST_PATHS.groups]: [...new Set(input.groups)].join('\n') + '\n',
    [GUEST_PATHS.scenarios]: input.scenarios.join(' ') + '\n',
  };
  if (input.symbols && input.symbols.length > 0) runFiles[GUEST_PATHS.symbols] = [...new Set(input.symbols)].join(' ') + '\n';
  const entries: CpioEntry[] = Object.entries(runFiles).map(([path, data]) => ({ type: 'file', path, data }));
  if (input.tunModule) entries.push({ type: 'file', path: GUEST_PATHS.tunModule, data: await readModule(input.tunModule, input.cacheDir) });
  // Parents already exist from the base archive; the kernel does not mind them again.
  const run = writeNewc(entries, { firstInode: 100_000 });
  const fh = await open(input.output, 'w');
  try {
    await fh.write(base.data);
    await fh.write(run);
  } finally {
    await fh.close();
  }
  return { path: input.output, bytes: base.data.length + run.length, baseCached: base.cached, runFiles };
}

async function baseArchive(busybox: string, workload: string, init: string, cacheDir?: string): Promise<{ data: Buffer; cached: boolean }> {
  const [bb, wl] = await Promise.all([readFile(busybox), readFile(workload)]);
  const key = createHash('sha256').update(bb).update('\0').update(wl).update('\0').update(init).update('\0v1').digest('hex').slice(0, 16);
  const dir = join(harnessCacheDir(cacheDir), 'initramfs');
  const file = join(dir, `base-${key}.cpio`);
  if (existsSync(file)) return { data: await readFile(file), cached: true };
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'etc/peerprop', 'lib/modules'].map((path): CpioEntry => ({ type: 'dir', path })),
    ...DEVICES,
    { type: 'file', path: GUEST_PATHS.busybox, data: bb, mode: 0o755 },
    ...BUSYBOX_APPLETS.map((a): CpioEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'file', path: GUEST_PATHS.workload, data: wl, mode: 0o755 },
    { type: 'file', path: GUEST_PATHS.init, data: init, mode: 0o755 },
  ];
  const data = writeNewc(entries);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
  return { data, cached: false };
}

/** A kernel module, decompressed on the host (cached by content hash): busybox insmod reads plain ELF. */
export async function readModule(path: string, cacheDir?: string): Promise<Buffer> {
  const raw = await readFile(path);
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : undefined;
  if (!tool) return raw;
  const key = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  const file = join(harnessCacheDir(cacheDir), 'modules', `${key}.ko`);
  if (existsSync(file)) return readFile(file);
  await mkdir(join(harnessCacheDir(cacheDir), 'modules'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const r = await $({ quiet: true, nothrow: true })`${tool} -dc ${path} > ${tmp}`;
  if (r.exitCode !== 0) throw envMissing(`cannot decompress ${path}: ${tool} failed (apt-get install ${tool === 'xz' ? 'xz-utils' : tool})`);
  await rename(tmp, file);
  return readFile(file);
}

/** The first busybox that is statically linked (no PT_INTERP): the guest has no libc. */
export async function findStaticBusybox(): Promise<string> {
  const candidates = ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'busybox'));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      if (isStaticElf(await readFile(c))) return c;
    } catch {
      /* unreadable: try the next */
    }
  }
  throw envMissing('no static busybox found (apt-get install busybox-static)');
}

/** A 64-bit little-endian ELF executable with no PT_INTERP program header. */
export function isStaticElf(b: Buffer): boolean {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > b.length) return false;
    if (b.readUInt32LE(off) === 3 /* PT_INTERP */) return false;
  }
  return true;
}
