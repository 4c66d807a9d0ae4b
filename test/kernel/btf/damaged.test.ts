/**
 * A damaged kernel image is the user's input: its parsers answer with a one-line bad-input error
 * (exit 2) that names the file, never an internal error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PeerpropError } from '../../../src/core/errors.ts';
import { Btf } from '../../../src/kernel/btf/btf.ts';
import { readElfSections } from '../../../src/kernel/btf/elf.ts';
import { readKernelTypes } from '../../../src/kernel/btf/facts.ts';
import { readNewc } from '../../../src/harness/cpio.ts';

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('damaged binary inputs', () => {
  it('BTF: short, bad magic, truncated: bad input naming the source', () => {
    const header = Buffer.alloc(24);
    header.writeUInt16LE(0xeb9f, 0); // magic
    header.writeUInt8(1, 2); // version
    header.writeUInt32LE(24, 4); // hdr_len
    header.writeUInt32LE(0, 8); // type_off
    header.writeUInt32LE(1000, 12); // type_len: beyond the end
    for (const blob of [Buffer.alloc(3), Buffer.alloc(32, 7), header]) {
      const e = caught(() => readKernelTypes(blob, 'BTF of /tmp/vmlinux'));
      expect(e).toBeInstanceOf(PeerpropError);
      expect((e as PeerpropError).exitCode).toBe(2);
      expect((e as PeerpropError).oneLine()).toMatch(/^BTF of \/tmp\/vmlinux: /);
    }
  });

  it('any bytes given to the BTF, ELF and cpio readers: a PeerpropError or a result, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const f of [() => new Btf(buf), () => readElfSections(buf), () => readNewc(buf)]) {
          const e = caught(f);
          if (e !== undefined) expect(e).toBeInstanceOf(PeerpropError);
        }
      }),
    );
  });
});
