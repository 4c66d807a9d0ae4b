import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { open } from 'node:fs/promises';
import { envMissing, badInput } from '../../core/errors.ts';
import { readBzImageHeader } from '../bzimage.ts';
import { isElf } from './elf.ts';

/**
 * Getting the vmlinux ELF out of a bzImage, in the spirit of the kernel's
 * scripts/extract-vmlinux (written here from the boot protocol, not copied): the setup
 * header's payload_offset/payload_length give the compressed kernel directly; its magic
 * says the compressor; Debian's decompressors (or node:zlib for gzip) inflate it.
 * Older images without payload fields are scanned for the magics.
 */
export type Compression = 'gzip' | 'xz' | 'lzma' | 'bzip2' | 'lzo' | 'lz4' | 'zstd';

const MAGICS: { c: Compression; magic: number[] }[] = [
  { c: 'gzip', magic: [0x1f, 0x8b, 0x08] },
  { c: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { c: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { c: 'lzma', magic: [0x5d, 0x00, 0x00] },
  { c: 'lzo', magic: [0x89, 0x4c, 0x5a, 0x4f] },
  { c: 'lz4', magic: [0x02, 0x21, 0x4c, 0x18] }, // LZ4 legacy frame, what the kernel uses
  { c: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
];

/** Decompressor command per format (Debian packages: lz4, zstd, xz-utils, bzip2, lzop). */
const TOOLS: Record<Exclude<Compression, 'gzip'>, { cmd: string; args: string[]; pkg: string }> = {
  xz: { cmd: 'xz', args: ['-dc', '--single-stream'], pkg: 'xz-utils' },
  lzma: { cmd: 'xz', args: ['-dc', '--format=lzma'], pkg: 'xz-utils' },
  bzip2: { cmd: 'bzip2', args: ['-dc'], pkg: 'bzip2' },
  lzo: { cmd: 'lzop', args: ['-dc'], pkg: 'lzop' },
  lz4: { cmd: 'lz4', args: ['-dc'], pkg: 'lz4' },
  zstd: { cmd: 'zstd', args: ['-dc'], pkg: 'zstd' },
};

function magicAt(buf: Buffer, off: number): Compression | undefined {
  for (const { c, magic } of MAGICS) {
    if (off + magic.length <= buf.length && magic.every((b, i) => buf[off + i] === b)) return c;
  }
  return undefined;
}

export interface Payload {
  compression: Compression;
  offset: number;
  length: number;
  /** true when it came from the setup header, false when found by scanning. */
  fromHeader: boolean;
}

/** The compressed kernel inside a bzImage (header fields first, a magic scan otherwise). */
export async function findCompressedPayload(image: string): Promise<{ payload: Payload | undefined; file: Buffer }> {
  const hdr = await readBzImageHeader(image);
  const fh = await open(image, 'r');
  let file: Buffer;
  try {
    file = await fh.readFile();
  } finally {
    await fh.close();
  }
  if (hdr?.payloadOffset !== undefined && hdr.payloadLength !== undefined) {
    const c = magicAt(file, hdr.payloadOffset);
    if (c) return { payload: { compression: c, offset: hdr.payloadOffset, length: hdr.payloadLength, fromHeader: true }, file };
  }
  const start = hdr?.protectedModeOffset ?? 0;
  for (let off = start; off < file.length - 8; off++) {
    const c = magicAt(file, off);
    // lzma's 3-byte magic is weak: accept it only with a plausible dictionary size byte pattern.
    if (c && (c !== 'lzma' || file[off + 3] === 0x00 || file[off + 4] === 0x00)) {
      return { payload: { compression: c, offset: off, length: file.length - off, fromHeader: false }, file };
    }
  }
  return { payload: undefined, file };
}

/** Runs a decompressor with `input` on stdin; resolves with whatever it wrote, plus its exit status. */
function runFilter(cmd: string, args: string[], input: Buffer): Promise<{ out: Buffer; code: number | null; err: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    let missing = false;
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') missing = true;
    });
    child.stdin.on('error', () => {
      /* the tool may stop reading at trailing bytes: EPIPE is expected */
    });
    child.on('close', (code) => resolve({ out: Buffer.concat(chunks), code, err, missing }));
    child.stdin.end(input);
  });
}

async function inflate(c: Compression, data: Buffer): Promise<Buffer | undefined> {
  if (c === 'gzip') {
    try {
      return gunzipSync(data);
    } catch {
      return undefined;
    }
  }
  const t = TOOLS[c];
  const r = await runFilter(t.cmd, t.args, data);
  if (r.missing) throw envMissing(`${t.cmd} not found: needed to decompress a ${c} kernel (apt-get install ${t.pkg})`);
  // Like extract-vmlinux: a complaint about trailing bytes is fine if an ELF came out.
  return r.out.length > 0 ? r.out : undefined;
}

export interface ExtractResult {
  vmlinux: Buffer;
  compression: Compression;
  payloadBytes: number;
}

/**
 * Decompresses the vmlinux ELF out of a bzImage. The kernel build appends the uncompressed
 * size (4 bytes) after every compressed stream except gzip's, so the stream is tried without
 * them first, then whole.
 */
export async function extractVmlinux(image: string): Promise<ExtractResult> {
  const { payload, file } = await findCompressedPayload(image);
  if (!payload) throw badInput('no compressed kernel found in the image (not a bzImage, or an unknown compressor)', { file: image });
  const stream = file.subarray(payload.offset, payload.offset + payload.length);
  const tries = payload.fromHeader && payload.length > 4 ? [stream.subarray(0, stream.length - 4), stream] : [stream];
  for (const t of tries) {
    const out = await inflate(payload.compression, t);
    if (out && isElf(out)) return { vmlinux: out, compression: payload.compression, payloadBytes: payload.length };
  }
  throw badInput(`the ${payload.compression} payload at offset ${payload.offset} did not decompress to an ELF vmlinux`, { file: image });
}
