/**
 * `replay --kernel`: the era and stage the traced kernel implements, read from its own code (its
 * types and symbols, as `conform` reads them: src/kernel/era.ts), never from its version string,
 * which a backport or a vendor tree does not keep in step with the mechanism.
 */
import type { Era, Stage } from '../model/types.ts';

export interface KernelEraOfTrace {
  era: Era;
  /** pmtu-redirect: the stage its code shows. */
  stage?: Stage;
  /** The kernel's release (`uname -r`). */
  release: string;
  /** One sentence: how the era and stage were decided (for the report's era line). */
  reason: string;
}

export async function eraOfKernel(spec: string, log: (s: string) => void = () => {}): Promise<KernelEraOfTrace> {
  // Loaded only for this option: the kernel readers and the probe generator's version fallback.
  const { resolveKernel, kernelEra } = await import('../kernel/index.ts');
  const { defaultEra } = await import('../probes/generate.ts');
  const kernel = await resolveKernel(spec, { log });
  const d = await kernelEra(kernel, defaultEra);
  return {
    era: d.era,
    ...(d.stage ? { stage: d.stage } : {}),
    release: kernel.release,
    reason: `from the code of kernel ${kernel.release} (--kernel): ${d.evidence.join('; ')}`,
  };
}
