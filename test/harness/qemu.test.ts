import { describe, expect, it } from 'vitest';
import { qemuArgs, smpSpec, splitTimes } from '../../src/harness/qemu.ts';

describe('qemuArgs', () => {
  it('is the measured command line: no devices, no reboot, two serial ports, TCG with -cpu max', () => {
    const a = qemuArgs({ kernel: '/k', initrd: '/i', accel: 'tcg', captureFile: '/c', append: ['peerprop_drop=udp-pmtu'] });
    expect(a.join(' ')).toBe(
      '-nodefaults -no-user-config -nographic -no-reboot -m 512 -smp 1 -M pc -accel tcg -cpu max -kernel /k -initrd /i ' +
        '-append console=ttyS0 panic=-1 quiet no_timer_check peerprop_drop=udp-pmtu -serial stdio -serial file:/c',
    );
    expect(qemuArgs({ kernel: '/k', initrd: '/i', accel: 'kvm', captureFile: '/c' })).toContain('host');
  });

  it('gives each vCPU its own socket: ACPI-less kernels find CPUs in the MP table, one per socket', () => {
    const a = qemuArgs({ kernel: '/k', initrd: '/i', accel: 'tcg', captureFile: '/c', cpus: 2 });
    expect(a[a.indexOf('-smp') + 1]).toBe('2,sockets=2,cores=1,threads=1');
    expect(smpSpec(1)).toBe('1');
  });
});

describe('splitTimes', () => {
  it('takes the children\'s CPU time from the shell\'s `times` and leaves QEMU\'s own stderr', () => {
    expect(splitTimes('qemu: warning: x\n0m0.001s 0m0.002s\n0m3.250s 0m0.750s\n')).toEqual({ stderr: 'qemu: warning: x\n', cpuMs: 4000 });
    expect(splitTimes('0m0.001s 0m0.002s\n1m1.000s 0m0.000s\n')).toEqual({ stderr: '', cpuMs: 61000 });
    expect(splitTimes('killed\n')).toEqual({ stderr: 'killed\n' });
  });
});
