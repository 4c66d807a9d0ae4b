/**
 * Declared argument types: from probe definitions, from event formats, from the probe map, and
 * values read as those types whatever the printer did with them.
 */
import { describe, expect, it } from 'vitest';
import { asDeclared, DeclarationCollector, parseProbeDefinition, retypeArgs, typesFromMap } from '../../src/trace/declared.ts';
import { builtinProbeMaps } from '../../src/trace/index.ts';
import { readText } from './helpers.ts';

describe('asDeclared', () => {
  it('an unsigned print of a signed field becomes the signed value of its width', () => {
    expect(asDeclared('65535', 's16')).toBe('-1');
    expect(asDeclared('65534', 's16')).toBe('-2');
    expect(asDeclared('0xffff', 's16')).toBe('-1');
    expect(asDeclared('4294967295', 's32')).toBe('-1');
    expect(asDeclared('255', 's8')).toBe('-1');
    expect(asDeclared('18446744073709551615', 's64')).toBe('-1');
    expect(asDeclared('32767', 's16')).toBe('32767');
    expect(asDeclared('-1', 's16')).toBe('-1');
  });
  it('a value wider than the declared type, or not a number, is left as printed', () => {
    expect(asDeclared('65536', 's16')).toBe('65536');
    expect(asDeclared('(fault)', 's16')).toBe('(fault)');
    expect(asDeclared('65535', 'u16')).toBe('65535');
  });
  it('hex fields printed without 0x get it back', () => {
    expect(asDeclared('ffff8880', 'x64')).toBe('0xffff8880');
    expect(asDeclared('0x1f', 'x32')).toBe('0x1f');
    expect(asDeclared('00ab', 'x16')).toBe('0xab');
  });
});

describe('declarations', () => {
  it('a kprobe_events definition gives each arg its type (after the last colon)', () => {
    const d = parseProbeDefinition('p:rtg/dst_check ipv4_dst_check dst=%di:x64 obsolete=+0x3a(%di):s16 net_rt_genid=+0x58c(+0x500(+0(%di))):s32 raw=%si')!;
    expect(d.event).toBe('dst_check');
    expect(d.group).toBe('rtg');
    expect(d.place).toBe('ipv4_dst_check');
    expect(Object.fromEntries(d.args)).toEqual({ dst: 'x64', obsolete: 's16', net_rt_genid: 's32', raw: 'x64' });
    expect(parseProbeDefinition('r:rtg/x_ret f ret=$retval:u32')!.type).toBe('return');
    expect(parseProbeDefinition('hello world')).toBeUndefined();
  });

  it('event formats (trace-cmd dump --events) give integer fields their signedness and width', () => {
    const c = new DeclarationCollector();
    for (const l of [
      'name: dst_check', 'ID: 1392', 'format:',
      '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;',
      '\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;',
      '\tfield:s16 obsolete;\toffset:32;\tsize:2;\tsigned:1;',
      '\tfield:u32 gw;\toffset:38;\tsize:4;\tsigned:0;',
      '\tfield:__data_loc char[] name;\toffset:42;\tsize:4;\tsigned:1;',
      'print fmt: "(%lx) obsolete=%d", REC->__probe_ip, REC->obsolete',
    ]) c.line(l);
    expect(Object.fromEntries(c.types.get('dst_check')!)).toEqual({ obsolete: 's16', gw: 'u32' });
  });

  it('a definition wins over a format for the same arg', () => {
    const c = new DeclarationCollector();
    c.line('name: dst_check');
    c.line('\tfield:u64 dst;\toffset:16;\tsize:8;\tsigned:0;');
    c.line('@@PROBE_OK p:rtg/dst_check ipv4_dst_check dst=%di:x64');
    expect(c.types.get('dst_check')!.get('dst')).toBe('x64');
  });

  it('the probe maps declare obsolete (a short in struct dst_entry) for the probes that fill it', () => {
    const seed = typesFromMap(builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed')!);
    expect(seed.get('dst_check')?.get('obsolete')).toBe('s16');
    const modern = typesFromMap(builtinProbeMaps().find((m) => m.name === 'debian-6.1-rtg')!);
    expect([...modern.values()].some((m) => m.get('obsolete') === 's16')).toBe(true);
  });

  it('retypeArgs rewrites only declared args, leaves quoted strings alone', () => {
    const t = new Map([['obsolete', 's16'], ['name', 's32']]);
    expect(retypeArgs('rt=0xff obsolete=65535 gw=0x1', t)).toBe('rt=0xff obsolete=-1 gw=0x1');
    expect(retypeArgs('name="65535" obsolete=2', t)).toBe('name="65535" obsolete=2');
  });
});

describe('a console capture declares its probes: trace-cmd-style values read as declared', () => {
  it('an s16 declared in @@PROBE_OK is read signed even when printed unsigned by trace-cmd', async () => {
    const text = [
      'cpus=1',
      '@@PROBE_OK p:kprobes/dst_check ipv4_dst_check rt=%di:u64 obsolete=+106(%di):s16',
      '           tunwl-100   [000]    14.487099: dst_check:            (ffffffffad63dbf0) rt=ffff88001e53ae40 obsolete=65534',
    ].join('\n');
    const { events, stats } = await readText(text, { probeMap: builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed')! });
    expect(stats.printer?.tool).toBe('trace-cmd');
    expect(stats.printer?.declaredEvents).toBe(1);
    expect(events.find((e) => e.kind === 'check')?.obsolete).toBe(-2);
  });
});
