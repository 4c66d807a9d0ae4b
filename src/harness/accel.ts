/**
 * Which accelerator to boot with. TCG always works; KVM only where the host really runs guests.
 * On our machines /dev/kvm exists and opens, but the host is itself a nested guest whose
 * hypervisor cannot run a stock kernel (QEMU aborts with "failed to set MSR 0x10a", or the
 * guest hangs in the decompressor): "/dev/kvm present" does not mean "KVM works". So `auto`
 * uses KVM only after a short timed probe boot reached /init, and says why otherwise.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envMissing } from '../core/errors.ts';
import { bootQemu, type Accel } from './qemu.ts';

export type AccelChoice = 'auto' | Accel;

export interface AccelDecision {
  accel: Accel;
  /** One sentence for the report: why this accelerator. */
  reason: string;
  /** Time spent deciding (the probe boot), ms. */
  probeMs: number;
}

export interface AccelProbeInput {
  kernel: string;
  /** Makes a bare initramfs (init prints @@INIT_START and powers off); called only for a probe boot. */
  bareInitrd: () => Promise<string>;
  /** Probe boot limit: a working KVM reaches /init well within it. Default 8000 ms. */
  timeoutMs?: number;
  qemu?: string;
}

/** Per process: the answer does not change while we run. */
let cachedKvm: Promise<{ ok: boolean; reason: string; ms: number }> | undefined;

export async function chooseAccel(choice: AccelChoice, probe: AccelProbeInput): Promise<AccelDecision> {
  if (choice === 'tcg') return { accel: 'tcg', reason: 'TCG', probeMs: 0 };
  if (choice === 'kvm') {
    if (!(await kvmDeviceUsable())) throw envMissing('--accel kvm: /dev/kvm is missing or not accessible');
    return { accel: 'kvm', reason: 'KVM', probeMs: 0 };
  }
  if (!(await kvmDeviceUsable())) return { accel: 'tcg', reason: 'TCG: no usable /dev/kvm', probeMs: 0 };
  cachedKvm ??= probeKvm(probe);
  const r = await cachedKvm;
  return r.ok
    ? { accel: 'kvm', reason: `KVM: probe boot reached /init in ${(r.ms / 1000).toFixed(1)} s`, probeMs: r.ms }
    : { accel: 'tcg', reason: `TCG: /dev/kvm is present but KVM does not run this kernel (${r.reason}); fell back after ${(r.ms / 1000).toFixed(1)} s`, probeMs: r.ms };
}

/** For tests: forget the per-process answer. */
export function resetAccelCache(): void {
  cachedKvm = undefined;
}

async function kvmDeviceUsable(): Promise<boolean> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function probeKvm(p: AccelProbeInput): Promise<{ ok: boolean; reason: string; ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'peerprop-kvm-'));
  const started = performance.now();
  try {
    const r = await bootQemu({
      kernel: p.kernel,
      initrd: await p.bareInitrd(),
      accel: 'kvm',
      timeoutMs: p.timeoutMs ?? 8000,
      captureFile: join(dir, 'capture.txt'),
      qemu: p.qemu,
      stopOn: /@@INIT_START|Kernel panic/,
    });
    const ms = performance.now() - started;
    if (r.stoppedOn?.includes('@@INIT_START') || r.marks.INIT_START !== undefined) return { ok: true, reason: 'reached /init', ms };
    if (r.timedOut) return { ok: false, reason: `no /init within ${((p.timeoutMs ?? 8000) / 1000).toFixed(0)} s`, ms };
    const err = firstMeaningfulLine(r.stderr) ?? firstMeaningfulLine(r.console) ?? `QEMU exited with ${r.exitCode}`;
    return { ok: false, reason: err, ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function firstMeaningfulLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|fail|abort|KVM/i.test(l)) ?? lines[0];
}
