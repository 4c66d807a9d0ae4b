/**
 * Captures the same kprobe events through several printers, in one boot of a Debian kernel
 * under QEMU (2 vCPUs): the ftrace `trace` file, `trace_pipe` (of a second tracing instance with
 * the same events enabled), a trace-cmd `trace.dat` (`trace-cmd extract`) and a `perf.data`
 * (`perf record -a` during the workload). Reuses the initramfs that
 * `peerprop conform --kernel debian --keep DIR` kept, with a third archive appended: an /init
 * that runs the workload's scenarios in two halves pinned to CPU 0 and CPU 1, and the host's
 * trace-cmd and perf binaries with the shared libraries they load.
 *
 *   npx tsx traces/tools/capture-printers.ts KEPT_DIR KERNEL OUT_DIR
 *
 * Writes OUT_DIR/{capture.txt,console.log,trace.txt,trace_pipe.txt,trace.dat,perf.data,dynamic_events.txt}.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync, realpathSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readNewc, writeNewc, type CpioEntry } from '../../src/harness/cpio.ts';

const [kept, kernel, out] = process.argv.slice(2);
if (!kept || !kernel || !out) throw new Error('usage: capture-printers.ts KEPT_DIR KERNEL OUT_DIR');
mkdirSync(out, { recursive: true });
const base = readFileSync(join(kept, 'initramfs.cpio'));
const recs = readNewc(base);
const init = recs.filter((r) => r.name === 'init').pop()!.data.toString();
const scenarios = recs.filter((r) => r.name === 'etc/peerprop/scenarios').pop()!.data.toString().trim().split(/\s+/);
const half = Math.ceil(scenarios.length / 2);

const runLine = 'WL_LOG=/tmp/wl.out WL_MARKER=$T/trace_marker WL_QUIET=1 /bin/tunwl $(cat /etc/peerprop/scenarios)';
if (!init.includes(runLine)) throw new Error('the kept /init has another workload line');
let ni = init.replace(
  'echo 1 > $T/tracing_on\n',
  `echo 1 > $T/tracing_on
mkdir $T/instances/pipe
while read -r g; do [ -n "$g" ] && echo 1 > $T/instances/pipe/events/$g/enable; done < /etc/peerprop/groups
echo 1 > $T/instances/pipe/tracing_on
export HOME=/tmp
/usr/bin/perf record -a -e 'rtg:*' -o /tmp/perf.data -- sleep 600 > /tmp/perf.log 2>&1 &
PERF=$!
sleep 8
`,
);
ni = ni.replace(
  runLine,
  `WL_LOG=/tmp/wl.out WL_MARKER=$T/trace_marker WL_QUIET=1 taskset 1 /bin/tunwl ${scenarios.slice(0, half).join(' ')}
    WL_LOG=/tmp/wl2.out WL_MARKER=$T/trace_marker WL_QUIET=1 taskset 2 /bin/tunwl ${scenarios.slice(half).join(' ')}
    cat /tmp/wl2.out >> /tmp/wl.out`,
);
ni = ni.replace(
  'send TRACE $T/trace ""\n',
  `send TRACE $T/trace ""
timeout 5 cat $T/instances/pipe/trace_pipe > /tmp/pipe.txt
send PIPE /tmp/pipe.txt ""
kill -INT $PERF; wait $PERF
cat /tmp/perf.log >&3
send PERFDATA /tmp/perf.data ""
/usr/bin/trace-cmd extract -o /tmp/trace.dat > /tmp/tc.log 2>&1
cat /tmp/tc.log >&3
send TRACEDAT /tmp/trace.dat ""
`,
);
ni = ni.replace('echo 0 > $T/tracing_on\n', 'echo 0 > $T/tracing_on\necho 0 > $T/instances/pipe/tracing_on\n');

// The binaries and every library they load, at the paths the loader looks for them.
const files = new Map<string, Buffer>();
for (const bin of ['/usr/bin/trace-cmd', '/usr/bin/perf']) {
  files.set(bin, readFileSync(bin));
  const ldd = execFileSync('ldd', [bin]).toString();
  for (const m of ldd.matchAll(/(\/\S+) \(0x/g)) files.set(m[1]!, readFileSync(realpathSync(m[1]!)));
  for (const m of ldd.matchAll(/=> (\/\S+)/g)) files.set(m[1]!, readFileSync(realpathSync(m[1]!)));
}
const dirs = new Set<string>();
for (const p of files.keys()) {
  const parts = p.slice(1).split('/');
  for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
}
const entries: CpioEntry[] = [
  ...[...dirs].sort((a, b) => a.split('/').length - b.split('/').length).map((path): CpioEntry => ({ type: 'dir', path })),
  ...[...files].map(([path, data]): CpioEntry => ({ type: 'file', path: path.slice(1), data, mode: 0o755 })),
  ...['timeout', 'taskset', 'kill', 'nproc'].map((a): CpioEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
  { type: 'file', path: 'init', data: ni, mode: 0o755 },
];
const initrd = join(out, 'initrd.cpio');
writeFileSync(initrd, Buffer.concat([base, writeNewc(entries, { firstInode: 200_000 })]));
const captureFile = join(out, 'capture.txt');
const r = spawnSync('qemu-system-x86_64', [
  '-nodefaults', '-no-user-config', '-nographic', '-no-reboot', '-m', '1024', '-smp', '2', '-M', 'pc',
  '-accel', 'tcg', '-cpu', 'max', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 quiet',
  '-serial', 'stdio', '-serial', `file:${captureFile}`,
], { timeout: 600_000, maxBuffer: 1 << 26 });
writeFileSync(join(out, 'console.log'), r.stdout ?? '');
const cap = readFileSync(captureFile);

/** `@@NAME_GZ <bytes> ...\n` + bytes (gzip) or `@@NAME_BEGIN ... @@NAME_END` text. */
function section(name: string): Buffer | undefined {
  const tag = Buffer.from(`@@${name}_GZ `);
  const at = cap.indexOf(tag);
  if (at !== -1) {
    const nl = cap.indexOf(10, at);
    const n = Number(cap.toString('latin1', at + tag.length, nl).trim().split(' ')[0]);
    return gunzipSync(cap.subarray(nl + 1, nl + 1 + n));
  }
  const b = cap.indexOf(Buffer.from(`@@${name}_BEGIN`));
  const e = cap.indexOf(Buffer.from(`@@${name}_END`));
  if (b === -1 || e === -1) return undefined;
  return cap.subarray(cap.indexOf(10, b) + 1, e);
}
for (const [name, file] of [['TRACE', 'trace.txt'], ['PIPE', 'trace_pipe.txt'], ['PERFDATA', 'perf.data'], ['TRACEDAT', 'trace.dat'], ['WORKLOAD', 'workload.txt'], ['DYNAMIC_EVENTS', 'dynamic_events.txt']] as const) {
  const s = section(name);
  if (s) writeFileSync(join(out, file), s);
  console.log(name, s ? s.length : 'missing');
}
console.log('qemu exit', r.status, existsSync(captureFile));
