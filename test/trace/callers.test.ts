/**
 * The caller cache the byte path and the text path share: a caller added from one path is found
 * from the other (so the hash it is added with must be the one parseEventBytes computes), and what
 * it holds is what resolving the caller again would give.
 */
import { describe, expect, it } from 'vitest';
import { CallerCache, callerHash } from '../../src/trace/callers.ts';
import { newParsedLine, parseEventBytes } from '../../src/trace/lineparse.ts';

const LINE = '          <idle>-0     [000] d.s2   105.123456: r_upd: (tcp_v4_err+0x1b4/0x2a0 <- ip_rt_update_pmtu) arg1=0x0';

describe('CallerCache', () => {
  it('adds with the hash parseEventBytes computes, and finds a caller from bytes and from text', () => {
    const buf = Buffer.from(LINE, 'latin1');
    const pl = newParsedLine();
    expect(parseEventBytes(buf, 0, buf.length, pl)).toBe(true);
    const raw = LINE.slice(pl.symStart, pl.arrow);
    expect(raw).toBe('tcp_v4_err+0x1b4/0x2a0');
    expect(callerHash(raw)).toBe(pl.callerHash);

    const c = new CallerCache(true);
    expect(c.findBytes(buf, pl.symStart, raw.length, pl.callerHash)).toBe(false);
    expect(c.findText(LINE, pl.symStart, raw.length)).toBe(false);
    c.add(raw, callerHash(raw));
    expect([c.text, c.sym]).toEqual(['tcp_v4_err+0x1b4', 'tcp_v4_err']);
    c.text = c.sym = undefined;
    expect(c.findBytes(buf, pl.symStart, raw.length, pl.callerHash)).toBe(true);
    expect([c.text, c.sym]).toEqual(['tcp_v4_err+0x1b4', 'tcp_v4_err']);
    c.text = c.sym = undefined;
    expect(c.findText(LINE, pl.symStart, raw.length)).toBe(true);
    expect([c.text, c.sym]).toEqual(['tcp_v4_err+0x1b4', 'tcp_v4_err']);
    // Same length, other text: not found.
    expect(c.findText('tcp_v4_err+0x1b4/0x2a1', 0, raw.length)).toBe(false);
  });

  it('holds an unknown caller as such, and stays bounded', () => {
    const c = new CallerCache(true);
    c.add('[unknown]', callerHash('[unknown]'));
    expect(c.text).toBeUndefined();
    expect(c.findText('[unknown]', 0, 9)).toBe(true);
    expect(c.text).toBeUndefined();
    for (let i = 0; i < 40; i++) {
      const raw = `f${i}+0x${i.toString(16)}/0x100`;
      c.add(raw, callerHash(raw));
      expect(c.sym).toBe(`f${i}`);
    }
    // The oldest ones are forgotten; the last ones are still there.
    expect(c.findText('f0+0x0/0x100', 0, 12)).toBe(false);
    expect(c.findText('f39+0x27/0x100', 0, 14)).toBe(true);
    expect(c.sym).toBe('f39');
  });
});
