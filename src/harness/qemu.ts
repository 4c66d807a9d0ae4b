/**
 * One QEMU boot: the console (ttyS0) streamed on stdout and watched line by line, the capture
 * port (ttyS1) written to a file, a hard timeout, and the host time at which each guest stage
 * marker appeared (for the bench's stage split).
 *
 * Command line (measured on the Debian and seed-era kernels):
 *   qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot -m 512 -smp 1 -M pc
 *     -accel tcg -cpu max -kernel K -initrd I -append "console=ttyS0 panic=-1 quiet no_timer_check ..."
 *     -serial stdio -serial file:CAPTURE
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { $, which } from 'zx';
import { envMissing } from '../core/errors.ts';

export type Accel = 'tcg' | 'kvm';

export interface BootOptions {
  kernel: string;
  initrd: string;
  /** Extra kernel command-line words (after `console=ttyS0 panic=-1 quiet no_timer_check`). */
  append?: string[];
  accel: Accel;
  /** Hard limit; QEMU is killed when it passes. */
  timeoutMs: number;
  /** The file the guest's ttyS1 is written to. */
  captureFile: string;
  memoryMb?: number;
  /** Virtual CPUs (-smp); default 1. */
  cpus?: number;
  /** QEMU binary; default $PEERPROP_QEMU or qemu-system-x86_64 on PATH. */
  qemu?: string;
  /** Called for each console line (\r removed) with ms since QEMU started. */
  onLine?: (line: string, ms: number) => void;
  /**
   * Kill QEMU as soon as a console line matches (e.g. the accel probe stops at @@INIT_START,
   * a run stops at a panic instead of waiting for the timeout).
   */
  stopOn?: RegExp;
}

export interface BootResult {
  argv: string[];
  /** QEMU's exit code (null if killed). */
  exitCode: number | null;
  timedOut: boolean;
  /** Killed because a console line matched stopOn. */
  stoppedOn?: string;
  durationMs: number;
  /** The console, \r removed. */
  console: string;
  /** QEMU's own stderr (its errors: bad option, KVM failure ...). */
  stderr: string;
  /** The capture port's bytes (empty if the guest wrote nothing); see expandCapture(). */
  capture: Buffer;
  /** First host time (ms since start) each `@@NAME` marker was seen on the console. */
  marks: Record<string, number>;
  /**
   * QEMU's CPU time (user + system, ms), when it exited by itself: on a loaded host the
   * wall clock stretches, this much less (a single-vCPU TCG guest mostly runs, rarely idles).
   */
  cpuMs?: number;
}

export async function findQemu(explicit?: string): Promise<string> {
  const name = explicit ?? process.env.PEERPROP_QEMU ?? 'qemu-system-x86_64';
  if (name.includes('/')) {
    if (!existsSync(name)) throw envMissing(`QEMU not found at ${name}`);
    return name;
  }
  const found = await which(name, { nothrow: true });
  if (!found) throw envMissing(`${name} not found (apt-get install qemu-system-x86)`);
  return found;
}

export function qemuArgs(o: Omit<BootOptions, 'timeoutMs' | 'onLine' | 'stopOn' | 'qemu'>): string[] {
  // no_timer_check: under TCG on a loaded host a 2.6.3x kernel's IO-APIC timer check can miss its
  // ticks and panic ("IO-APIC + timer doesn't work!"); the check is for real hardware.
  const append = ['console=ttyS0', 'panic=-1', 'quiet', 'no_timer_check', ...(o.append ?? [])].join(' ');
  return [
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-m', String(o.memoryMb ?? 512), '-smp', smpSpec(o.cpus ?? 1), '-M', 'pc',
    '-accel', o.accel, '-cpu', o.accel === 'kvm' ? 'host' : 'max',
    '-kernel', o.kernel, '-initrd', o.initrd, '-append', append,
    '-serial', 'stdio', '-serial', `file:${o.captureFile}`,
  ];
}

export async function bootQemu(o: BootOptions): Promise<BootResult> {
  const qemu = await findQemu(o.qemu);
  const argv = qemuArgs(o);
  const started = performance.now();
  const marks: Record<string, number> = {};
  let consoleText = '';
  let pending = '';
  let stoppedOn: string | undefined;
  let timedOut = false;

  // `times` after QEMU exits: the children's CPU time (see cpuMs); the exit code is QEMU's.
  const proc = $({ quiet: true, nothrow: true, stdio: ['ignore', 'pipe', 'pipe'] })`${qemu} ${argv}; rc=$?; times >&2; exit $rc`;
  const kill = () => {
    proc.kill('SIGKILL').catch(() => {});
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, o.timeoutMs);

  const onLine = (raw: string) => {
    const line = raw.replace(/\r/g, '');
    const ms = performance.now() - started;
    const m = /@@([A-Z_]+)(?: ([A-Za-z0-9_-]+))?/.exec(line);
    if (m) {
      const key = m[1] === 'STAGE' && m[2] ? `STAGE_${m[2]}` : m[1]!;
      if (marks[key] === undefined) marks[key] = ms;
    }
    o.onLine?.(line, ms);
    if (o.stopOn && !stoppedOn && o.stopOn.test(line)) {
      stoppedOn = line;
      kill();
    }
  };
  proc.stdout.on('data', (chunk: Buffer) => {
    const s = chunk.toString('utf8');
    consoleText += s;
    pending += s;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  const out = await proc;
  clearTimeout(timer);
  if (pending) onLine(pending);
  const durationMs = performance.now() - started;
  let capture = Buffer.alloc(0);
  try {
    capture = await readFile(o.captureFile);
  } catch {
    /* the guest never opened the port */
  }
  const { stderr, cpuMs } = splitTimes(out.stderr);
  return {
    argv: [qemu, ...argv],
    exitCode: out.exitCode,
    timedOut,
    stoppedOn,
    durationMs,
    console: consoleText.replace(/\r/g, ''),
    stderr,
    capture,
    marks,
    cpuMs,
  };
}

/** Removes the shell's `times` output (own times, then children's) from QEMU's stderr. */
export function splitTimes(stderr: string): { stderr: string; cpuMs?: number } {
  const lines = stderr.replace(/\n$/, '').split('\n');
  const t = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;
  const last = t.exec(lines.at(-1) ?? '');
  if (!last || !t.test(lines.at(-2) ?? '')) return { stderr };
  const cpuMs = (Number(last[1]) * 60 + Number(last[2]) + Number(last[3]) * 60 + Number(last[4])) * 1000;
  const rest = lines.slice(0, -2).join('\n');
  return { stderr: rest ? rest + '\n' : '', cpuMs };
}

/**
 * One socket per CPU: SeaBIOS's MP table lists one processor per package, and a kernel without
 * ACPI (the seed-era builds) finds its CPUs only there; with QEMU's default of N cores in one
 * socket such a kernel brings up a single CPU.
 */
export function smpSpec(cpus: number): string {
  return cpus === 1 ? '1' : `${cpus},sockets=${cpus},cores=1,threads=1`;
}
