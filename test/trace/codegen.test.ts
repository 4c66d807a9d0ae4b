/**
 * The code generated for a small probe map: each emit's fill function and a probe's byte decoder
 * once its layout is learned. A change here changes the reader's hot path: look at the diff.
 */
import { describe, expect, it } from 'vitest';
import { parseProbeMap } from '../../src/trace/index.ts';
import { compileMap } from '../../src/trace/compile-map.ts';
import { decoderCode, generate, identifier, sourceOf } from '../../src/trace/codegen.ts';
import { learnLayout } from '../../src/trace/layout.ts';

const MAP = parseProbeMap({
  name: 'probe',
  pairs: [{ entry: 'upd', return: ['upd_ret'], within: ['bind'] }],
  rules: [
    { probe: 'upd', emit: [{ kind: 'pmtu', fields: { rt: 'rt', mtu: 'mtu', daddr: { from: 'daddr', ipv4: 'be' } } }] },
    {
      probe: 'upd_ret', caller: ['tcp_v4_err'],
      emit: [{ kind: 'genid_bump', at: 'entry', set: { counter: 'peer', old: 1 }, fields: { rt: 'entry.rt', new: 'g', peer: 'within.bind.peer', text: '$caller' } }],
    },
  ],
}, 'probe.json');

describe('codegen', () => {
  const cm = compileMap(MAP);
  const plan = (name: string) => cm.plans.get(name)!;

  it('generates one named fill function per emit', () => {
    const upd = plan('upd').rules[0]!.emits[0]!.fill;
    const ret = plan('upd_ret').rules[0]!.emits[0]!.fill;
    expect(upd.name).toBe('fill_upd_pmtu');
    expect(String(upd)).toMatchInlineSnapshot(`
      "function fill_upd_pmtu(ev, sv, call, em, taskKey, callerText, pl) {
      const cv = call === undefined ? undefined : call.vv;
      let v;
      v = sv[0]; if (v !== undefined) ev.rt = v;
      v = sv[1]; if (v !== undefined) ev.mtu = v;
      v = sv[2]; if (v !== undefined) ev.daddr = v;
      }"
    `);
    expect(ret.name).toBe('fill_upd_ret_genid_bump');
    expect(String(ret)).toMatchInlineSnapshot(`
      "function fill_upd_ret_genid_bump(ev, sv, call, em, taskKey, callerText, pl) {
      const cv = call === undefined ? undefined : call.vv;
      let v;
      const w0 = call === undefined || call.within === undefined ? undefined : call.within.get("bind");
      ev.counter = "peer";
      ev.old = 1;
      v = (cv === undefined ? undefined : cv[0]); if (v !== undefined) ev.rt = v;
      v = sv[0]; if (v !== undefined) ev.new = v;
      v = (w0 === undefined ? undefined : w0[0]); if (v !== undefined) ev.peer = v;
      v = T(callerText, F[3]); if (v !== undefined) ev.text = v;
      }"
    `);
  });

  it('generates the byte decoder of a learned layout', () => {
    const p = plan('upd');
    expect(p.decode).toBeUndefined();
    const args = 'rt=0xffff888004a1b300 mtu=1400 dev="eth0" daddr=0x0500000a';
    learnLayout(args, 0, p);
    const code = decoderCode(p)!;
    expect(code.name).toBe('decode_upd');
    expect(String(p.decode)).toBe(sourceOf(code));
    expect(sourceOf(code)).toMatchInlineSnapshot(`
      "function decode_upd(buf, pos, len, vv) {
      let vs = 0, ve = 0;
      if (pos >= len) return false;
      vs = pos + 3;
      if (vs > len || buf[pos] !== 114 || buf[pos + 1] !== 116 || buf[pos + 2] !== 61) return false;
      if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }
      else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }
      vv[0] = D.pointer(buf, vs, ve, "auto", "le");
      pos = ve + 1;
      if (pos >= len) return false;
      vs = pos + 4;
      if (vs > len || buf[pos] !== 109 || buf[pos + 1] !== 116 || buf[pos + 2] !== 117 || buf[pos + 3] !== 61) return false;
      if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }
      else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }
      vv[1] = D.number(buf, vs, ve, "auto", "le");
      pos = ve + 1;
      if (pos >= len) return false;
      vs = pos + 4;
      if (vs > len || buf[pos] !== 100 || buf[pos + 1] !== 101 || buf[pos + 2] !== 118 || buf[pos + 3] !== 61) return false;
      if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }
      else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }
      pos = ve + 1;
      if (pos >= len) return false;
      vs = pos + 6;
      if (vs > len || buf[pos] !== 100 || buf[pos + 1] !== 97 || buf[pos + 2] !== 100 || buf[pos + 3] !== 100 || buf[pos + 4] !== 114 || buf[pos + 5] !== 61) return false;
      if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }
      else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }
      vv[2] = D.ipv4(buf, vs, ve, "auto", "be");
      pos = ve + 1;
      return pos >= len;
      }"
    `);
    const vv: unknown[] = [];
    const buf = Buffer.from(args, 'latin1');
    expect(p.decode!(buf, 0, buf.length, vv as never)).toBe(true);
    expect(vv).toEqual(['0xffff888004a1b300', 1400, '5.0.0.10']);
    // A line laid out otherwise does not fit: the reader then reads it as text.
    const other = Buffer.from('mtu=1400 rt=0x1', 'latin1');
    expect(p.decode!(other, 0, other.length, vv as never)).toBe(false);
  });

  it('names what it generates, and only with identifiers', () => {
    const f = generate<(a: number) => number>({ name: 'twice', params: ['a'], body: ['return K * a;'] }, { K: 2 });
    expect(f.name).toBe('twice');
    expect(f(21)).toBe(42);
    expect(String(f)).toBe('function twice(a) {\nreturn K * a;\n}');
    expect(() => generate({ name: 'a b', params: [], body: [] }, {})).toThrow(/not an identifier/);
    expect(identifier('ipv4:dst-check.1')).toBe('ipv4_dst_check_1');
    expect(identifier('0')).toBe('_0');
  });
});
