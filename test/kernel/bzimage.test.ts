import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readBzImageHeader } from '../../src/kernel/index.ts';
import { releaseFromBanner, versionFromBanner } from '../../src/kernel/bzimage.ts';
import { realKernel } from './real-kernels.ts';

describe('bzImage setup header', () => {
  for (const spec of ['debian', 'debian-6.12'] as const) {
    it(`${spec}: protocol, version string and payload`, async () => {
      const k = await realKernel(spec);
      const h = (await readBzImageHeader(k.vmlinuz))!;
      expect(h).toBeDefined();
      expect(h.protocol[0]).toBe(2);
      expect(h.protocol[1]).toBeGreaterThanOrEqual(8);
      expect(releaseFromBanner(h.versionString!)).toBe(k.release);
      expect(h.payloadOffset).toBeGreaterThan(h.protectedModeOffset);
      expect(h.payloadOffset! + h.payloadLength!).toBeLessThanOrEqual(h.fileSize);
    });
  }

  it('versions from Debian banners and plain releases', () => {
    expect(versionFromBanner('6.1.0-56-cloud-amd64 (x@y) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)')).toEqual([6, 1, 192]);
    expect(versionFromBanner('6.12.117+deb12-cloud-amd64 (x) #1 SMP Debian 6.12.117-1~deb12u1')).toEqual([6, 12, 117]);
    expect(versionFromBanner('3.0.1 (root@host) #3 Tue')).toEqual([3, 0, 1]);
    expect(versionFromBanner('2.6.39-rc1')).toEqual([2, 6, 39]);
    expect(versionFromBanner('garbage')).toEqual([0, 0, 0]);
  });

  it('random and truncated files never throw: not a bzImage, or a consistent header', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-bz-'));
    const real = await readFile((await realKernel('debian')).vmlinuz);
    const head = real.subarray(0, 0x4000);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 0x3000 }), fc.nat(0x3fff), fc.boolean(), async (bytes, cut, keepHeader) => {
        const buf = keepHeader ? Buffer.concat([head.subarray(0, cut), Buffer.from(bytes)]) : Buffer.from(bytes);
        const f = path.join(dir, `img${n++}`);
        await writeFile(f, buf);
        const h = await readBzImageHeader(f);
        if (h) {
          expect(h.fileSize).toBe(buf.length);
          if (h.payloadOffset !== undefined) expect(h.payloadOffset + h.payloadLength!).toBeLessThanOrEqual(buf.length);
        }
      }),
      { numRuns: 60 },
    );
  });
});
