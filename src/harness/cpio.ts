/**
 * A writer for the "newc" cpio format (SVR4 without CRC), the format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
 *
 *   header: "070701" then 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime,
 *           filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check)
 *   name (with its NUL), padded to a multiple of 4 from the start of the header
 *   data, padded to a multiple of 4
 *   ... and a last entry named "TRAILER!!!".
 *
 * The kernel creates no missing parent directories, so parents are emitted before their
 * children. Several archives may be concatenated into one initrd: the kernel unpacks them in turn.
 */
import { badInput } from '../core/errors.ts';

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export interface CpioOptions {
  /** mtime of every entry (seconds); fixed so that archives are reproducible. Default 0. */
  mtime?: number;
  /** First inode number (distinct archives concatenated into one initrd should not overlap). */
  firstInode?: number;
}

/** Normalises an archive path: no leading "/" or "./", no empty or "." components, no "..". */
export function normalisePath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) throw new Error(`cpio: path escapes the archive: ${p}`);
  if (parts.length === 0) throw new Error(`cpio: empty path: ${JSON.stringify(p)}`);
  return parts.join('/');
}

/** Builds a newc archive. Parent directories are added (mode 0755) where the entries lack them. */
export function writeNewc(entries: CpioEntry[], options: CpioOptions = {}): Buffer {
  const mtime = options.mtime ?? 0;
  let ino = options.firstInode ?? 1;
  const chunks: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  const explicitDirs = new Set(entries.filter((e) => e.type === 'dir').map((e) => normalisePath(e.path)));

  const push = (name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0], nlink = 1) => {
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    const fields = [ino++, mode, 0, 0, nlink, mtime, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    const header = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
    chunks.push(header, nameBytes);
    offset += header.length + nameBytes.length;
    pad();
    chunks.push(data);
    offset += data.length;
    pad();
  };
  const pad = () => {
    const n = (4 - (offset % 4)) % 4;
    if (n) {
      chunks.push(Buffer.alloc(n));
      offset += n;
    }
  };
  const ensureParents = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        push(dir, S_IFDIR | 0o755, Buffer.alloc(0), [0, 0], 2);
      }
    }
  };

  for (const e of entries) {
    const path = normalisePath(e.path);
    if (seen.has(path)) {
      if (e.type === 'dir' && explicitDirs.has(path)) continue;
      throw new Error(`cpio: duplicate entry ${path}`);
    }
    ensureParents(path);
    seen.add(path);
    switch (e.type) {
      case 'dir':
        push(path, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), [0, 0], 2);
        break;
      case 'file': {
        const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
        push(path, S_IFREG | (e.mode ?? 0o644), data);
        break;
      }
      case 'symlink':
        push(path, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'));
        break;
      case 'chardev':
        push(path, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor]);
        break;
    }
  }
  push('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(chunks);
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio: field out of range: ${n}`);
  return n.toString(16).padStart(8, '0').toUpperCase();
}

/** One entry as read back by readNewc (for tests and `--keep` inspection). */
export interface CpioRecord {
  name: string;
  mode: number;
  nlink: number;
  mtime: number;
  rdevmajor: number;
  rdevminor: number;
  data: Buffer;
}

/** Reads a newc archive (or several concatenated, with optional zero padding between them). */
export function readNewc(buf: Buffer): CpioRecord[] {
  const out: CpioRecord[] = [];
  let off = 0;
  const align = (n: number) => (n + 3) & ~3;
  while (off < buf.length) {
    if (buf[off] === 0) {
      off++;
      continue;
    }
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701' && magic !== '070702') throw badInput(`cpio: bad magic at byte ${off}: ${JSON.stringify(magic)}`);
    const field = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const nlink = field(4);
    const mtime = field(5);
    const size = field(6);
    const rdevmajor = field(9);
    const rdevminor = field(10);
    const namesize = field(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + namesize - 1);
    const dataStart = off + align(110 + namesize);
    const data = buf.subarray(dataStart, dataStart + size);
    if (data.length !== size) throw badInput(`cpio: truncated entry ${name}`);
    off = dataStart + align(size);
    if (name === 'TRAILER!!!') continue;
    out.push({ name, mode, nlink, mtime, rdevmajor, rdevminor, data });
  }
  return out;
}
