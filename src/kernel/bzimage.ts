import { open } from 'node:fs/promises';

/**
 * The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst): where the
 * version string and the compressed kernel payload sit in a bzImage.
 */
export interface BzImageHeader {
  /** Boot protocol version, e.g. [2, 15]. */
  protocol: [number, number];
  /** Number of 512-byte setup sectors (0 in the field means 4). */
  setupSects: number;
  /** File offset of the protected-mode kernel: (setup_sects + 1) * 512. */
  protectedModeOffset: number;
  /** The kernel_version string ("6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ..."), if the header has one. */
  versionString?: string;
  /** Compressed payload (protocol >= 2.08): file offset and length; undefined for older images. */
  payloadOffset?: number;
  payloadLength?: number;
  fileSize: number;
}

const HDR_MAGIC = 0x53726448; // "HdrS"

/**
 * Reads the setup header of a bzImage. Returns undefined when the file is not a bzImage
 * (no 0xAA55 boot flag / no "HdrS"), e.g. an ELF vmlinux.
 */
export async function readBzImageHeader(file: string): Promise<BzImageHeader | undefined> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 0x270) return undefined;
    const head = Buffer.alloc(0x270);
    await fh.read(head, 0, head.length, 0);
    if (head.readUInt16LE(0x1fe) !== 0xaa55 || head.readUInt32LE(0x202) !== HDR_MAGIC) return undefined;
    const protoWord = head.readUInt16LE(0x206);
    const protocol: [number, number] = [protoWord >> 8, protoWord & 0xff];
    const rawSects = head.readUInt8(0x1f1);
    const setupSects = rawSects === 0 ? 4 : rawSects;
    const protectedModeOffset = (setupSects + 1) * 512;
    const hdr: BzImageHeader = { protocol, setupSects, protectedModeOffset, fileSize: size };
    // kernel_version (protocol >= 2.00): offset of a NUL-terminated string, minus 0x200.
    const kv = head.readUInt16LE(0x20e);
    if (kv !== 0 && kv + 0x200 < Math.min(size, protectedModeOffset)) {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await fh.read(buf, 0, buf.length, kv + 0x200);
      const end = buf.subarray(0, bytesRead).indexOf(0);
      const s = buf.subarray(0, end < 0 ? bytesRead : end).toString('latin1').trim();
      if (/^\d+\.\d+/.test(s)) hdr.versionString = s;
    }
    // payload_offset / payload_length (protocol >= 2.08), relative to the protected-mode code.
    if (protoWord >= 0x0208) {
      const off = head.readUInt32LE(0x248);
      const len = head.readUInt32LE(0x24c);
      if (len > 0 && protectedModeOffset + off + len <= size) {
        hdr.payloadOffset = protectedModeOffset + off;
        hdr.payloadLength = len;
      }
    }
    return hdr;
  } finally {
    await fh.close();
  }
}

/** `uname -r` out of a version banner: its first word. */
export function releaseFromBanner(banner: string): string {
  return banner.split(/\s+/)[0] ?? banner;
}

/**
 * Upstream version [major, minor, patch]: Debian banners end in "Debian 6.1.192-2 (date)",
 * which is more precise than the ABI release 6.1.0-56; otherwise parse the release.
 */
export function versionFromBanner(banner: string): [number, number, number] {
  const deb = /\bDebian (\d+)\.(\d+)(?:\.(\d+))?/.exec(banner);
  const m = deb ?? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(banner.trim());
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
