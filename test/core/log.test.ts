import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isInteractive, log, setVerbose, useLogSink } from '../../src/core/log.ts';
import { createProgress } from '../../src/core/progress.ts';

function capture(tty = false): { sink: PassThrough & { isTTY?: boolean }; text: () => string } {
  const sink = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) sink.isTTY = true;
  let text = '';
  sink.on('data', (d) => (text += d));
  return { sink, text: () => text };
}

describe('log', () => {
  afterEach(() => setVerbose(false));

  it('writes to the sink it is given, and back to the previous one after', () => {
    const a = capture();
    const restore = useLogSink(a.sink);
    log.warn('one');
    log.error('two');
    log.info('quiet: not a terminal');
    setVerbose(true);
    log.debug('three');
    restore();
    expect(a.text()).toBe('peerprop: warning: one\npeerprop: error: two\npeerprop: debug: three\n');
  });

  it('is interactive only on a terminal and never in CI', () => {
    const saved = process.env.CI;
    try {
      process.env.CI = 'true';
      expect(isInteractive({ isTTY: true })).toBe(false);
      process.env.CI = 'false';
      expect(isInteractive({ isTTY: true })).toBe(true);
      expect(isInteractive({})).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it('a progress display draws nothing when the sink is not a terminal', () => {
    const a = capture();
    const restore = useLogSink(a.sink);
    const p = createProgress();
    p.start(10, 'x');
    p.increment(5);
    p.stop();
    restore();
    expect(a.text()).toBe('');
  });

  it('a command run in-process logs to its own stderr, and the sink is restored after', async () => {
    const { Command } = await import('commander');
    const { main } = await import('../../src/cli/main.ts');
    const { commands } = await import('../../src/cli/commands.ts');
    const out = capture();
    const err = capture();
    // A command of the real program that logs: registered for this test only.
    commands.push((program: InstanceType<typeof Command>) => {
      program.command('log-probe').action(() => log.warn('from inside a command'));
    });
    try {
      const code = await main(['log-probe'], { stdout: out.sink, stderr: err.sink, stdin: new PassThrough() });
      expect(code).toBe(0);
    } finally {
      commands.pop();
    }
    expect(err.text()).toBe('peerprop: warning: from inside a command\n');
    expect(out.text()).toBe('');
    // Restored: a log after the command goes where it went before, not to the command's stderr.
    const later = capture();
    const restore = useLogSink(later.sink);
    log.warn('after');
    restore();
    expect(err.text()).not.toContain('after');
  });
});
