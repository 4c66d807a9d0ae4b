import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { Btf, Kind } from '../../../src/kernel/btf/btf.ts';
import { loadKernelTypes } from '../../../src/kernel/btf/index.ts';
import { realKernel } from '../real-kernels.ts';

const KIND_NAMES = ['UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'];
const haveBpftool = (await $({ quiet: true, nothrow: true })`command -v bpftool`).exitCode === 0;

async function rawBtf(spec: 'debian' | 'debian-6.12'): Promise<Buffer> {
  const k = await realKernel(spec);
  await loadKernelTypes(k); // extracts and caches <workDir>/vmlinux.btf
  return readFile(path.join(k.workDir, 'vmlinux.btf'));
}

describe('BTF reader on the real kernels', () => {
  for (const spec of ['debian', 'debian-6.12'] as const) {
    describe(spec, () => {
      let blob: Buffer;
      let btf: Btf;
      beforeAll(async () => {
        blob = await rawBtf(spec);
        btf = new Btf(blob);
      });

      it('indexes every type and finds the structs and functions of the protocol', () => {
        expect(btf.count).toBeGreaterThan(50_000);
        for (const s of ['rtable', 'dst_entry', 'fib_nh_exception', 'net', 'net_device', 'sock']) {
          const id = btf.findStruct(s);
          expect(id, s).toBeDefined();
          expect(btf.vlen(id!)).toBeGreaterThan(0);
        }
        const fn = btf.lookup('ipv4_dst_check', Kind.Func)[0]!;
        const params = btf.params(btf.sizeOrType(fn));
        expect(params.map((p) => p.name)).toEqual(['dst', 'cookie']);
        expect(btf.typeName(params[0]!.type)).toBe('struct dst_entry *');
      });

      it.skipIf(!haveBpftool)('agrees with bpftool on every type (kind, name, size, members, bitfields, prototypes)', async () => {
        const dir = (await realKernel(spec)).workDir;
        const out = await $({ quiet: true })`bpftool btf dump file ${path.join(dir, 'vmlinux.btf')} -j`;
        // biome-ignore lint/suspicious/noExplicitAny: bpftool's JSON, compared field by field
        const ref = (JSON.parse(out.stdout) as { types: Record<string, any>[] }).types;
        expect(btf.count - 1).toBe(ref.length);
        // Plain comparisons, mismatches collected: hundreds of thousands of checks.
        const bad: string[] = [];
        const eq = (a: unknown, b: unknown, what: string) => {
          if (a !== b && bad.length < 20) bad.push(`${what}: ours ${String(a)}, bpftool ${String(b)}`);
        };
        let structs = 0;
        for (const t of ref) {
          const id = t.id as number;
          eq(KIND_NAMES[btf.kindOf(id)], t.kind, `kind of ${id}`);
          eq(btf.nameOf(id) || '(anon)', t.name, `name of ${id}`);
          if (t.kind === 'STRUCT' || t.kind === 'UNION') {
            structs++;
            eq(btf.sizeOrType(id), t.size, `size of ${id}`);
            const ms = btf.members(id);
            eq(ms.length, t.members.length, `members of ${id}`);
            ms.forEach((m, i) => {
              const r = t.members[i];
              eq(m.name || '(anon)', r.name, `${id}.${i} name`);
              eq(m.type, r.type_id, `${id}.${i} type`);
              eq(m.bitOffset, r.bits_offset, `${id}.${i} offset`);
              eq(m.bitSize, r.bitfield_size ?? 0, `${id}.${i} bitfield`);
            });
          } else if (t.kind === 'FUNC_PROTO') {
            const ps = btf.params(id);
            eq(ps.map((p) => `${p.name || '(anon)'}:${p.type}`).join(','), t.params.map((p: { name: string; type_id: number }) => `${p.name}:${p.type_id}`).join(','), `params of ${id}`);
          } else if (t.kind === 'INT') {
            eq(btf.intEncoding(id)!.bits, t.nr_bits, `bits of ${id}`);
            eq(btf.intEncoding(id)!.offset, t.bits_offset, `bit offset of ${id}`);
          }
        }
        expect(bad).toEqual([]);
        expect(structs).toBeGreaterThan(5_000);
      });

      it('truncated or corrupted BTF fails with an Error, never a hang or a crash', () => {
        fc.assert(
          fc.property(fc.nat(blob.length), fc.nat(200), fc.integer({ min: 0, max: 255 }), (cut, pos, byte) => {
            const b = Buffer.from(blob.subarray(0, Math.max(cut, 0)));
            if (pos < b.length) b[pos] = byte;
            try {
              const x = new Btf(b);
              // If the header still makes sense, every member walk stays inside the buffer.
              for (let id = 1; id < Math.min(x.count, 200); id++) x.members(id);
            } catch (e) {
              expect(e).toBeInstanceOf(Error);
            }
          }),
          { numRuns: 40 },
        );
      });
    });
  }
});
