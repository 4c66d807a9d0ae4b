import { describe, expect, it } from 'vitest';
import { exitCodeOf, runProblems, type ScenarioVerdict } from '../../src/harness/verdict.ts';
import { analyseConsole, expandCapture, parseCapture } from '../../src/harness/capture.ts';
import { gzipSync } from 'node:zlib';
import { parseWorkload } from '../../src/harness/observations.ts';
import type { BootResult } from '../../src/harness/qemu.ts';
import { ExitCode } from '../../src/core/errors.ts';

const boot = (o: Partial<BootResult> = {}): BootResult => ({
  argv: [], exitCode: 0, timedOut: false, durationMs: 4000, console: '', stderr: '', capture: Buffer.alloc(0), marks: {}, ...o,
});
const okConsole = '@@INIT_START uptime=2.0\n@@WL_START scenarios=udp-pmtu\n@@WL_END rc=0\n@@INIT_DONE\n';
const workload = parseWorkload(['@@WL_START scenarios=udp-pmtu', '@@WL_END rc=0'].map((text, line) => ({ text, line })));
const capture = (extra: string) =>
  parseCapture(`@@KERNEL 6.1.0\n${extra}@@TRACE_BEGIN\n# tracer: nop\n tunwl-90 [000] ..... 4.0: tracing_mark_write: STEP udp-pmtu begin\n@@TRACE_END\n@@DONE\n`);

describe('runProblems', () => {
  it('a clean run has none', () => {
    expect(runProblems(boot(), capture('@@PROBE_OK p:rtg/a f\n'), analyseConsole(okConsole), workload, 60_000)).toEqual([]);
  });

  it('a rich definition refused but its fallback accepted is not a problem; a definition refused for good is (exit 2)', () => {
    const rescued = capture('@@PROBE_FAIL f:rtg/a f x->y\n@@PROBE_OK p:rtg/a f y=+8(%di):u32\n');
    expect(runProblems(boot(), rescued, analyseConsole(okConsole), workload, 60_000)).toEqual([]);
    const refused = capture('@@PROBE_FAIL p:rtg/b g bad\n@@ERRLOG trace_kprobe: error: Invalid fetch argument\n');
    const p = runProblems(boot(), refused, analyseConsole(okConsole), workload, 60_000);
    expect(p).toEqual([{ kind: 'probe-refused', message: 'the kernel refused: p:rtg/b g bad (trace_kprobe: error: Invalid fetch argument)', exitCode: ExitCode.BadInput }]);
  });

  it('no tracefs and a missing tun module are a missing environment (exit 3)', () => {
    const c = parseCapture('@@KERNEL 3.0\n@@NO_TRACEFS\n@@TUN_FAIL insmod: can\'t insert tun.ko: invalid module format\n@@DONE\n');
    const p = runProblems(boot(), c, analyseConsole('@@INIT_START uptime=1\n'), parseWorkload([]), 60_000);
    expect(p.map((x) => [x.kind, x.exitCode])).toEqual([['no-tracefs', 3], ['tun', 3]]);
    expect(exitCodeOf(p, [])).toBe(ExitCode.EnvMissing);
  });

  it('a trace section that crossed the capture port damaged fails the run with the reason, never a pass on part of it', () => {
    const gz = gzipSync(Buffer.from(' tunwl-90 [000] ..... 4.0: tracing_mark_write: STEP udp-pmtu begin\n'.repeat(50)));
    gz[gz.length - 7]! ^= 0x10; // the CRC-32 in the member's trailer
    const raw = Buffer.concat([Buffer.from(`@@KERNEL 6.1.0\n@@TRACE_GZ ${gz.length}\n`), gz, Buffer.from('\n@@DONE\n')]);
    const p = runProblems(boot(), parseCapture(expandCapture(raw)), analyseConsole(okConsole), workload, 60_000);
    expect(p.map((x) => x.kind)).toEqual(['no-capture']);
    expect(p[0]!.message).toMatch(/^no trace on the capture port \(TRACE_GZ_DAMAGED expected \d+ bytes, got \d+: gzip data damaged \(incorrect data check\)\)$/);
    expect(exitCodeOf(p, [])).toBe(ExitCode.Findings);
  });

  it('a guest that never reached /init, and QEMU failing to start, are told apart', () => {
    expect(runProblems(boot(), parseCapture(''), analyseConsole('SeaBIOS\n'), parseWorkload([]), 60_000).map((x) => x.kind)).toEqual(['no-init']);
    const q = runProblems(boot({ exitCode: 1, stderr: 'qemu-system-x86_64: -kernel /x: No such file\n' }), parseCapture(''), analyseConsole(''), parseWorkload([]), 60_000);
    expect(q).toEqual([{ kind: 'qemu', message: 'QEMU failed: qemu-system-x86_64: -kernel /x: No such file', exitCode: ExitCode.EnvMissing }]);
  });
});

describe('exitCodeOf', () => {
  const v = (status: ScenarioVerdict['status']) => ({ status }) as ScenarioVerdict;
  it('environment before refused input before findings; all skipped is "nothing checked"', () => {
    expect(exitCodeOf([], [v('pass'), v('skip')])).toBe(ExitCode.Clean);
    expect(exitCodeOf([], [v('pass'), v('fail')])).toBe(ExitCode.Findings);
    expect(exitCodeOf([], [v('skip')])).toBe(ExitCode.BadInput);
    expect(exitCodeOf([{ kind: 'empty-trace', message: '', exitCode: ExitCode.Findings }, { kind: 'probe-refused', message: '', exitCode: ExitCode.BadInput }], [v('pass')])).toBe(ExitCode.BadInput);
  });
});

describe('judge: a merge-window kernel with PMTU but not redirects in the inetpeer', () => {
  const lines = [
    '@@WL_START scenarios=seed-redirect',
    '@@SCENARIO_BEGIN seed-redirect',
    '@@OBS scenario=seed-redirect step=send route=R dst=203.0.113.104 via=192.0.2.2 mtu=0 lock=0',
    '@@OBS scenario=seed-redirect step=stranger-use route=T dst=203.0.113.104 via=192.0.2.2 mtu=0 lock=0',
    '@@SCENARIO_END seed-redirect rc=0',
    '@@WL_END rc=0',
  ];
  const w = parseWorkload(lines.map((text, i) => ({ text, line: i + 1 })));
  it('is not judged on the redirect scenario (skip, saying why), never failed or passed', async () => {
    const { judge } = await import('../../src/harness/verdict.ts');
    const v = judge('seed-redirect', 'pmtu-redirect', w, undefined, [], 'S2', { redirectsInPeer: false });
    expect(v.status).toBe('skip');
    expect(v.reason).toMatch(/no check_peer_redir, not even inlined/);
    expect(v.contract.status).toBe('skip');
    expect(v.mechanism.status).toBe('skip');
  });
  it("shows none of the slice's replay diagnostics under the SKIP (they would read as findings), only that it ran", async () => {
    const { judge } = await import('../../src/harness/verdict.ts');
    const { toConformResults } = await import('../../src/harness/render.ts');
    const { toKtap } = await import('../../src/report/ktap.ts');
    const seen = { status: 'fail' as const, reason: 'replay: 1 divergence', diagnostics: ['replay divergence: capture.txt:40: route R not stamped', 'mechanism: 6 events (redirect 1, check 2)'], events: 6, byKind: { redirect: 1, check: 2 } };
    const mech = { stats: {} as never, totalEvents: 6, replay: { ran: true, note: '', divergences: 1 }, perScenario: new Map([['seed-redirect', seen]]) };
    const v = judge('seed-redirect', 'pmtu-redirect', w, mech, [], 'S2', { redirectsInPeer: false });
    expect(v.status).toBe('skip');
    expect(v.mechanism).toMatchObject({ status: 'skip', diagnostics: [], events: 6, byKind: { redirect: 1, check: 2 } });
    const [run] = toConformResults({ kernel: { release: '2.6.39-rc1' }, scenarios: [v], problems: [], timings: { total: 1 } } as never);
    const ktap = toKtap([run!]);
    expect(ktap).toMatch(/^ {2}ok 1 seed-redirect # SKIP not judged: /m);
    expect(ktap).not.toMatch(/divergence|events|ok \d+ (mechanism|contract)/);
  });
  it('a 2.6.39 kernel whose code has them is judged on it as before', async () => {
    const { judge } = await import('../../src/harness/verdict.ts');
    for (const code of [{}, { redirectsInPeer: true }]) {
      const v = judge('seed-redirect', 'pmtu-redirect', w, undefined, [], 'S2', code);
      expect(v.status).not.toBe('skip');
      expect(v.contract.checks.length).toBeGreaterThan(0);
    }
    // Scenarios that do not learn a redirect are judged on such a kernel too.
    const other = judge('seed-frag-needed', 'pmtu-redirect', w, undefined, [], 'S2', { redirectsInPeer: false });
    expect(other.reason ?? '').not.toMatch(/check_peer_redir/);
  });
});
