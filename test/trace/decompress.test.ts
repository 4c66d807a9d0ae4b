/**
 * The container detection and the decoders' messages, on real compressor output
 * (source.test.ts runs the whole path through the CLI).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { compressionOf } from '../../src/trace/decompress.ts';
import { reason } from '../../src/trace/decompress-tool.ts';
import { gunzipStrict } from '../../src/trace/decompress-gzip.ts';

const TEXT = Buffer.from('# tracer: nop\n  tunwl-90 [000] ..... 4.0: tracing_mark_write: STEP udp-pmtu begin\n');

function run(cmd: string, args: string[], input: Buffer): { out: Buffer; err: string; status: number | null } {
  const r = spawnSync(cmd, args, { input });
  return { out: r.stdout, err: r.stderr.toString('utf8'), status: r.status };
}

describe('compressionOf', () => {
  it('knows each container by the bytes the real tools write', () => {
    expect(compressionOf(gzipSync(TEXT))).toBe('gzip');
    expect(compressionOf(run('xz', ['-c'], TEXT).out)).toBe('xz');
    expect(compressionOf(run('zstd', ['-qc'], TEXT).out)).toBe('zstd');
    expect(compressionOf(run('bzip2', ['-c'], TEXT).out)).toBe('bzip2');
    expect(compressionOf(run('bzip2', ['-c'], Buffer.alloc(0)).out)).toBe('bzip2');
    expect(compressionOf(run('lz4', ['-qc'], TEXT).out)).toBe('lz4');
    expect(compressionOf(run('lz4', ['-qlc'], TEXT).out)).toBe('lz4');
  });

  it('leaves text alone, including text that starts like a magic', () => {
    for (const s of ['', '#', '# tracer: nop\n', 'BZh', 'BZh9 is not bzip2\n', '{"kind":"check"}\n', '\x1f']) {
      expect(compressionOf(Buffer.from(s, 'latin1')), JSON.stringify(s)).toBeUndefined();
    }
  });
});

describe('reason', () => {
  it("keeps the decoder's reason and drops its name, the stdin name and advice", () => {
    const cut = (cmd: string, args: string[]): string => {
      const c = run(cmd, ['-c'], Buffer.from(TEXT.toString().repeat(50))).out;
      return reason(run(cmd, args, c.subarray(0, c.length >> 1)).err);
    };
    expect(cut('xz', ['-dc'])).toBe('unexpected end of input');
    expect(cut('bzip2', ['-dc'])).toBe('compressed file ends unexpectedly');
    expect(cut('zstd', ['-dcq'])).toMatch(/premature end/);
    expect(cut('lz4', ['-dc'])).toMatch(/unfinished stream/i);
    expect(reason('\n')).toBe('');
  });
});

describe('gunzipStrict', () => {
  it('takes members and zero padding, refuses a cut, a bad CRC and garbage', () => {
    const gz = gzipSync(TEXT);
    expect(gunzipStrict(Buffer.concat([gz, gz, Buffer.alloc(4)]))).toEqual({ text: Buffer.concat([TEXT, TEXT]) });
    expect(gunzipStrict(gz.subarray(0, gz.length - 1))).toEqual({ damage: `gzip data cut short at byte ${gz.length - 1}` });
    const crc = Buffer.from(gz);
    crc[gz.length - 8]! ^= 1;
    expect(gunzipStrict(crc)).toEqual({ damage: 'gzip data damaged (incorrect data check)' });
    expect(gunzipStrict(Buffer.concat([gz, Buffer.alloc(3), Buffer.from('x')]))).toEqual({ damage: `gzip data followed by 4 bytes of trailing garbage at byte ${gz.length}` });
  });
});
