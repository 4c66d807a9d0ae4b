import { describe, expect, it } from 'vitest';
import { badInput, envMissing, ExitCode, PeerpropError } from '../../src/core/errors.ts';

describe('PeerpropError', () => {
  it('one line with file:line:col, and the exit code of its kind', () => {
    const e = badInput('hunk header malformed', { file: 'x.patch', line: 12, column: 3 });
    expect(e).toBeInstanceOf(PeerpropError);
    expect(e.exitCode).toBe(ExitCode.BadInput);
    expect(e.oneLine()).toBe('x.patch:12:3: hunk header malformed');
    expect(e.oneLine()).not.toContain('\n');
    const env = envMissing('qemu-system-x86_64 not found (apt-get install qemu-system-x86)');
    expect(env.exitCode).toBe(ExitCode.EnvMissing);
    expect(env.oneLine()).toBe('qemu-system-x86_64 not found (apt-get install qemu-system-x86)');
  });

  it('the documented exit codes', () => {
    expect([ExitCode.Clean, ExitCode.Findings, ExitCode.BadInput, ExitCode.EnvMissing]).toEqual([0, 1, 2, 3]);
  });
});
