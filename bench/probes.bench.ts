/**
 * Kernel acquisition, vmlinux extraction, BTF parsing and probe generation, per Debian kernel:
 * uncached (a fresh cache dir: apt-get download + dpkg-deb -x, decompress, parse) and cached.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveKernel } from '../src/kernel/index.ts';
import { extractVmlinux, loadKernelTypes, parseBtf } from '../src/kernel/btf/index.ts';
import { elfSection } from '../src/kernel/btf/elf.ts';
import { readKernelTypes } from '../src/kernel/btf/facts.ts';
import { generateProbes, renderBpftrace, renderKprobeEvents } from '../src/probes/index.ts';

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

export async function run(): Promise<void> {
  for (const spec of ['debian', 'debian-6.12'] as const) {
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'peerprop-bench-'));
    try {
      let t = performance.now();
      const k = await resolveKernel(spec, { cacheDir: fresh, log: () => {} });
      const fetchMs = ms(t);
      t = performance.now();
      await resolveKernel(spec, { cacheDir: fresh, log: () => {} });
      const cachedResolve = ms(t);
      t = performance.now();
      await resolveKernel(spec, { cacheDir: fresh, preferCache: true, log: () => {} });
      const preferCache = ms(t);

      t = performance.now();
      const x = await extractVmlinux(k.vmlinuz);
      const extract = ms(t);
      const blob = Buffer.from(elfSection(x.vmlinux, '.BTF')!);
      t = performance.now();
      const btf = parseBtf(blob);
      const index = ms(t);
      t = performance.now();
      readKernelTypes(blob, 'bench');
      const facts = ms(t);

      const stats: Record<string, unknown> = {};
      t = performance.now();
      await loadKernelTypes(k, { stats });
      const loadUncached = ms(t);
      t = performance.now();
      await loadKernelTypes(k, { stats: {} });
      const loadCached = ms(t);
      t = performance.now();
      const set = await generateProbes(k);
      const gen = ms(t);
      t = performance.now();
      await generateProbes(k);
      const genAgain = ms(t);
      t = performance.now();
      renderKprobeEvents(set);
      renderBpftrace(set);
      const render = ms(t);
      const vmlinuzMB = ((await readFile(k.vmlinuz)).length / 1e6).toFixed(1);

      process.stdout.write(
        `${spec} ${k.release} (${k.package?.name} ${k.package?.version})\n` +
          `  acquire: into an empty cache ${fetchMs} (apt-get download ${k.fetched?.downloadMs.toFixed(0)} ms, dpkg-deb -x ${k.fetched?.unpackMs.toFixed(0)} ms); again (apt answer memoised) ${cachedResolve}; preferCache ${preferCache}\n` +
          `  extract: ${x.compression} ${vmlinuzMB} MB bzImage -> ${(x.vmlinux.length / 1e6).toFixed(1)} MB vmlinux in ${extract}\n` +
          `  BTF: ${(blob.length / 1e6).toFixed(1)} MB, ${btf.count} types indexed in ${index}; facts (offsets, prototypes) ${facts}\n` +
          `  loadKernelTypes: uncached ${loadUncached} (extract ${Number(stats.extractMs).toFixed(0)} ms + parse ${Number(stats.parseMs).toFixed(0)} ms), cached JSON ${loadCached}\n` +
          `  generateProbes: first ${gen} (reads the member paths the plan reaches), again ${genAgain}, ${set.probes.length} probes; render kprobe+bpftrace ${render}\n`,
      );
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }
}
