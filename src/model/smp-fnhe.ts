/**
 * Several CPUs running the fnhe era's route calls (Linux 3.6+, written after 6.1's route.c) step
 * by step against shared state, and the probe lines they print in the layout of the Debian 6.1
 * capture (the debian-6.1-rtg probe map).
 *
 * Each task runs a list of calls (`FnheCall`); each call is a sequence of atomic steps: a probe
 * firing (one trace line, reading the state at that instant) or one memory access of the C. A
 * schedule picks which task steps next, so the kernel's race outcomes come out of executing the
 * interleaving: a check whose entry probe read the route alive while a flush or a kill on another
 * CPU came before its compare; a route allocated with a namespace genid that a flush moves
 * before its return probe; an exception found, then changed before the route binds it; two
 * lookups on one CPU where the later rt_cache_route displaces the earlier route from the per-CPU
 * slot (the displaced route lives on uncached, and a new exception's kill does not reach it).
 * Each step runs on the CPU `cpuOf` gives it, so a task may migrate inside a lookup (a
 * preemptible RCU section, e.g. Debian 6.1's PREEMPT_RCU): the slot it read and the slot it
 * caches into may belong to different CPUs.
 *
 * The C followed (6.1):
 * - ipv4_dst_check: `if (dst->obsolete != DST_OBSOLETE_FORCE_CHK || rt_is_expired(rt)) return
 *   NULL` — two reads after the entry probe, then the return probe;
 * - __mkroute_output: find_exception(nhc, daddr) (its return probe reads the exception it found);
 *   the cached route (the exception's fnhe_rth_output, or the next hop's per-CPU output slot) is
 *   returned when rt_cache_valid; else rt_dst_alloc (rt_genid = the namespace's, obsolete
 *   FORCE_CHK; its return probe reads the namespace genid again), rt_set_nexthop: with an
 *   exception rt_bind_exception (under fnhe_lock: a stale fnhe_genid resets the exception and
 *   puts its routes (DEAD); fill_route_from_fnhe; the route replaces fnhe_rth_output, whose old
 *   route is put), without one rt_cache_route into this CPU's slot (the route it replaces goes to
 *   the uncached list, still valid);
 * - __ip_rt_update_pmtu: old_mtu = the route's MTU (rt_pmtu, else the device's); no update when
 *   old_mtu < mtu or rt_pmtu == mtu; update_or_create_fnhe reads fnhe_genid before taking
 *   fnhe_lock; an existing exception is updated in place with its cached route; a NEW one is
 *   published, then the next hop's cached output routes (every CPU's slot) are KILLed;
 * - rt_cache_flush: rt_genid += 1 (entry probe reads the value before); the /proc flush
 *   (ipv4_sysctl_rtcache_flush, which inlines rt_cache_flush: only its own probe fires) then
 *   bumps fnhe_genid.
 * Not modelled: expiry (no time passes), redirects, input routes, several namespaces.
 */
import { runSchedule } from './smp-schedule.ts';

export type FnheCall =
  /** An output route lookup for destination `d` (connect / sendmsg); the task's socket keeps the route. */
  | { kind: 'lookup'; d: number }
  /** The socket's dst_check of its route to `d` (a lookup when it holds none; NULL drops it). */
  | { kind: 'check'; d: number }
  /** A PMTU update for `d` through the socket's route (a lookup first when it holds none). */
  | { kind: 'pmtu'; d: number; mtu: number; /** In softirq (an ICMP "fragmentation needed" received): pinned to one CPU, nothing below it runs there until it returns. */ softirq?: boolean }
  /** rt_cache_flush of the namespace; `proc`: the /proc flush, which also bumps fnhe_genid. */
  | { kind: 'flush'; proc: boolean };

export type FnheFault =
  /** A check returns the route although its obsolete or rt_genid says stale. */
  | 'check-returns-stale'
  /** A new exception does not KILL the next hop's cached routes. */
  | 'exception-no-kill';

export const FNHE_FAULTS: readonly FnheFault[] = ['check-returns-stale', 'exception-no-kill'];

export interface FnheScenario {
  /** One call list per task (task t has pid 300 + t). */
  tasks: FnheCall[][];
  /** Which task runs the next step (indices modulo the tasks with work left). */
  schedule: number[];
  /** The CPU each step runs on (modulo cpus); absent: task t on CPU t % cpus. */
  cpuOf?: number[];
  cpus: number;
  /** The namespace's initial rt_genid and fnhe_genid. */
  genid?: number;
  fnheGenid?: number;
}

export interface FnheFaultSpec {
  fault: FnheFault;
  /** The task and the index of its call that misbehaves. That call runs with no other call in flight. */
  task: number;
  call: number;
}

export interface FnheTrace {
  text: string;
  /** Line (1-based, in `text`) where replay must catch the fault; undefined without a fault or when it did not apply. */
  faultLine?: number;
  faultApplied: boolean;
  lines: number;
}

const FORCE_CHK = -1;
const KILL = -2;
const DEAD = 2;
const DEV_MTU = 2000;
const NET = '0xff451d970278c300';
const NHC = '0xff451d97061e9280';
/** The next hop's gateway, 10.0.1.2. */
const GW = '10.0.1.2';

interface Route {
  ptr: string;
  rtGenid: number;
  obsolete: number;
  pmtu: number;
  gw: string;
}

interface Exception {
  ptr: string;
  daddr: string;
  genid: number;
  pmtu: number;
  rthOutput: Route | null;
}

/** Destination d is 10.0.3.(1+d). */
const daddrOf = (d: number) => `10.0.3.${1 + d}`;
/** 6.1's probes print an IPv4 address as its network-order u32 read little-endian, in hex. */
function ipHex(a: string): string {
  const b = a.split('.').map(Number);
  return `0x${(((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0).toString(16)}`;
}
const ptrOf = (r: Route | Exception | null) => (r === null ? '0x0' : r.ptr);
const s32 = (x: number) => x | 0;

export const FNHE_TEXT_HEADER =
  '# tracer: nop\n#\n#                                _-----=> irqs-off/BH-disabled\n#                               / _----=> need-resched\n#                              | / _---=> hardirq/softirq\n#                              || / _--=> preempt-depth\n#                              ||| / _-=> migrate-disable\n#                              |||| /     delay\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n';

class Machine {
  rtGenid: number;
  fnheGenid: number;
  /** The next hop's per-CPU cached output routes (nhc_pcpu_rth_output). */
  readonly slots: (Route | null)[];
  readonly exceptions = new Map<string, Exception>();
  private nRoutes = 0;
  private nExceptions = 0;
  readonly out: string[] = [FNHE_TEXT_HEADER.trimEnd()];
  private ts = 10;
  cpu = 0;
  pid = 0;
  /** The step runs in softirq context (printed with ftrace's `s` flag). */
  softirq = false;
  comm = 'smpwl';
  get nextLine(): number {
    return FNHE_TEXT_HEADER.split('\n').length - 1 + (this.out.length - 1) + 1;
  }

  constructor(cpus: number, genid: number, fnheGenid: number) {
    this.rtGenid = s32(genid);
    this.fnheGenid = s32(fnheGenid);
    this.slots = Array<Route | null>(cpus).fill(null);
  }

  /**
   * The last line of each call context that replay sees as an event (lines its probe map drops
   * do not count): a pid in task context, the CPU in softirq context (src/trace/callctx.ts).
   */
  private readonly lastLine = new Map<string, number>();
  /**
   * Route creations and exception updates as replay sees their windows: from the pid's previous
   * event line to its next one (`end`).
   */
  readonly windows: { key: string; kind: 'create' | 'update'; line: number; prev: number; end?: number; route?: Route }[] = [];

  /** The call context of the step being run, as replay keys it. */
  get key(): string {
    return this.softirq ? `soft${this.cpu}` : `pid${this.pid}`;
  }

  print(body: string, opts: { silent?: boolean; window?: 'create' | 'update'; route?: Route } = {}): number {
    const line = this.nextLine;
    if (!opts.silent) {
      const key = this.key;
      const soft = `soft${this.cpu}`;
      // A task-level line on a CPU shows its softirq has returned.
      for (const w of this.windows) if (w.end === undefined && (w.key === key || (!this.softirq && w.key === soft))) w.end = line;
      // A softirq began after the last task-level line on its CPU.
      const prev = Math.max(this.lastLine.get(key) ?? 0, this.softirq ? (this.lastLine.get(`task${this.cpu}`) ?? 0) : 0);
      if (opts.window) this.windows.push({ key, kind: opts.window, line, prev, route: opts.route });
      this.lastLine.set(key, line);
      if (!this.softirq) this.lastLine.set(`task${this.cpu}`, line);
    }
    this.ts += 0.000013;
    this.out.push(`${this.comm.padStart(16)}-${String(this.pid).padEnd(7)} [${String(this.cpu).padStart(3, '0')}] ${this.softirq ? '..s2.' : '.....'} ${this.ts.toFixed(6).padStart(12)}: ${body}`);
    return line;
  }

  routeFields(r: Route): string {
    return `rt_genid=${r.rtGenid} obsolete=${r.obsolete} pmtu=${r.pmtu} gw=${r.gw === '' ? '0x0' : ipHex(r.gw)} net_rt_genid=${this.rtGenid}`;
  }

  newRoute(): Route {
    return { ptr: `0xff451d97013b${(0xe000 + this.nRoutes++ * 0x40).toString(16)}`, rtGenid: this.rtGenid, obsolete: FORCE_CHK, pmtu: 0, gw: '' };
  }

  newException(daddr: string, genid: number, pmtu: number): Exception {
    return { ptr: `0xff451d97061e${(0xf000 + this.nExceptions++ * 0x60).toString(16)}`, daddr, genid, pmtu, rthOutput: null };
  }
}

type Step = () => void;

/** rt_cache_valid */
const cacheValid = (m: Machine, r: Route | null): r is Route => r !== null && r.obsolete === FORCE_CHK && r.rtGenid === m.rtGenid;

/** dst_dev_put: the route is dead to every check. */
function put(r: Route | null): void {
  if (r) r.obsolete = DEAD;
}

/** fill_route_from_fnhe (no gateway: PMTU exceptions only). */
function fill(r: Route, e: Exception): void {
  r.pmtu = e.pmtu;
}

interface TaskState {
  /** The socket's route per destination. */
  sk: Map<number, Route>;
}

/** The steps of ip_route_output_key_hash_rcu for destination d; `done` gets the route returned. */
function lookupSteps(m: Machine, d: number, done: (r: Route) => void): Step[] {
  const daddr = daddrOf(d);
  let fnhe: Exception | null = null;
  let rt: Route | null = null;
  let cached = false;
  return [
    () => {
      m.print(`out_key_hash_rcu: (ip_route_output_key_hash_rcu+0x0/0x8e0) net=${NET} daddr=${ipHex(daddr)}`, { silent: true });
    },
    () => {
      fnhe = m.exceptions.get(daddr) ?? null;
    },
    () => {
      // A kretprobe: reads the exception's fields when it fires.
      const f = fnhe;
      m.print(
        `find_exception_ret: (ip_route_output_key_hash_rcu+0x53b/0x8e0 <- find_exception) fnhe=${ptrOf(f)} fnhe_daddr=${f ? ipHex(f.daddr) : '0x0'} fnhe_genid=${f ? f.genid : 0} fnhe_pmtu=${f ? f.pmtu : 0} fnhe_gw=0x0`,
        { silent: f === null },
      );
    },
    () => {
      // rth = rcu_dereference(*prth); if (rt_cache_valid(rth) && dst_hold_safe(&rth->dst)) return rth;
      const c = fnhe ? fnhe.rthOutput : m.slots[m.cpu]!;
      if (cacheValid(m, c)) {
        rt = c;
        cached = true;
      }
    },
    () => {
      if (cached) return;
      rt = m.newRoute(); // rt_dst_alloc: rt_genid = rt_genid_ipv4(net)
    },
    () => {
      if (!cached) m.print(`rt_dst_alloc_ret: (ip_route_output_key_hash_rcu+0x425/0x8e0 <- rt_dst_alloc) rt=${rt!.ptr} ${m.routeFields(rt!)}`, { window: 'create', route: rt! });
    },
    () => {
      if (cached) return;
      const r = rt!;
      r.gw = GW;
      const f = fnhe;
      if (f) {
        // rt_bind_exception, under fnhe_lock.
        let orig = f.rthOutput;
        if (f.genid !== m.fnheGenid) {
          f.genid = m.fnheGenid;
          f.pmtu = 0;
          put(f.rthOutput); // fnhe_flush_routes
          f.rthOutput = null;
          orig = null;
        }
        fill(r, f);
        f.rthOutput = r;
        put(orig);
      } else {
        // rt_cache_route into this CPU's slot: the route it replaces goes on the uncached list.
        m.slots[m.cpu] = r;
      }
    },
    () => {
      m.print(`out_key_hash_rcu_ret: (ip_route_output_flow+0x66/0xe0 <- ip_route_output_key_hash_rcu) rt=${rt!.ptr} ${m.routeFields(rt!)}`, { silent: true });
      done(rt!);
    },
  ];
}

function stepsOf(m: Machine, ts: TaskState, call: FnheCall, fault: FnheFault | undefined, mark: (line: number) => void, applied: () => void, killed: (r: Route) => void): Step[] {
  if (call.kind === 'flush') {
    return [
      () => {
        // The /proc flush (ipv4_sysctl_rtcache_flush) inlines rt_cache_flush: only its own probe fires.
        if (call.proc) m.print('sysctl_flush: (ipv4_sysctl_rtcache_flush+0x0/0x30) write=1');
        else m.print(`rt_cache_flush: (rt_cache_flush+0x0/0x20) net=${NET} net_rt_genid=${m.rtGenid} net_fnhe_genid=${m.fnheGenid}`);
      },
      () => {
        m.rtGenid = s32(m.rtGenid + 1);
      },
      () => {
        if (call.proc) m.fnheGenid = s32(m.fnheGenid + 1);
      },
    ];
  }
  const keep = (r: Route) => ts.sk.set(call.d, r);
  const sk = ts.sk.get(call.d);
  if (call.kind === 'lookup' || (call.kind === 'check' && !sk)) return lookupSteps(m, call.d, keep);
  if (call.kind === 'check') {
    const r = sk!;
    let ok = true;
    let wasStale = false;
    return [
      () => {
        m.print(`dst_check: (ipv4_dst_check+0x0/0x60) dst=${r.ptr} cookie=0 ${m.routeFields(r)}`);
      },
      () => {
        ok = r.obsolete === FORCE_CHK;
        wasStale = !ok;
      },
      () => {
        if (!ok) return;
        ok = r.rtGenid === m.rtGenid; // rt_is_expired
        wasStale = !ok;
      },
      () => {
        if (fault === 'check-returns-stale' && wasStale) {
          ok = true;
          applied();
        }
        const line = m.print(`dst_check_ret: (ip4_datagram_release_cb+0x60/0x230 <- ipv4_dst_check) ret=${ok ? r.ptr : '0x0'}`);
        if (fault === 'check-returns-stale' && wasStale) mark(line);
        if (!ok) ts.sk.delete(call.d);
      },
    ];
  }
  // pmtu
  const daddr = daddrOf(call.d);
  let rt: Route | null = sk ?? null;
  let go = false;
  let genid = 0;
  const steps: Step[] = sk ? [] : lookupSteps(m, call.d, (r) => {
    keep(r);
    rt = r;
  });
  let fresh: Exception | null = null;
  steps.push(
    () => {
      m.print(`__ip_rt_update_pmtu: (__ip_rt_update_pmtu+0x0/0x380) rt=${rt!.ptr} daddr=${ipHex(daddr)} mtu=${call.mtu} ${m.routeFields(rt!)}`);
    },
    () => {
      const r = rt!;
      const oldMtu = r.pmtu || DEV_MTU;
      go = !(oldMtu < call.mtu) && r.pmtu !== call.mtu;
    },
    () => {
      if (go) m.print(`update_or_create_fnhe: (update_or_create_fnhe+0x0/0x380) nhc=${NHC} daddr=${ipHex(daddr)} gw=0x0 pmtu=${call.mtu} lock=0 expires=4295044017 net_fnhe_genid=${m.fnheGenid}`, { window: 'update' });
    },
    () => {
      genid = m.fnheGenid; // read before fnhe_lock
    },
    () => {
      if (!go) return;
      const e = m.exceptions.get(daddr);
      if (e) {
        e.genid = genid;
        e.pmtu = call.mtu;
        if (e.rthOutput) fill(e.rthOutput, e);
        return;
      }
      fresh = m.newException(daddr, genid, call.mtu);
      m.exceptions.set(daddr, fresh);
      if (fault === 'exception-no-kill') applied();
    },
    // "Exception created; mark the cached routes for the nexthop stale": every CPU's slot, one by one.
    ...m.slots.map((_, i) => () => {
      if (!fresh || fault === 'exception-no-kill') return;
      const s = m.slots[i];
      if (s) s.obsolete = KILL;
    }),
    () => {
      // With the no-kill fault: the route the update came through is the one replay must see survive.
      if (fresh && fault === 'exception-no-kill' && rt && rt.obsolete === FORCE_CHK && rt.pmtu === 0 && m.slots.includes(rt)) killed(rt);
    },
  );
  return steps;
}

/**
 * Did the route's creation overlap another pid's creation or exception update, as the trace
 * shows their windows, or was another route created after it? Then it may have been displaced
 * from its slot or cached after a kill, and replay cannot require the kill to reach it.
 */
function overlapped(m: Machine, r: Route): boolean {
  const s = m.windows.find((w) => w.route === r);
  if (!s) return true;
  const inf = Number.POSITIVE_INFINITY;
  return m.windows.some((x) => {
    // Any later creation (a task migrating between its slot read and its caching can replace
    // the route in another CPU's slot).
    if (x.kind === 'create' && x.line > s.line) return true;
    if (x.key === s.key) return false;
    if (x.line < s.line) return (x.end ?? inf) > s.prev;
    return (s.end ?? inf) > (x.kind === 'create' ? x.prev : x.line);
  });
}

/**
 * Runs the scenario: the interleaving chosen by `schedule`, each step against the shared state.
 * With a fault, the faulty call runs with no other call in flight.
 */
export function runSmpFnhe(sc: FnheScenario, fault?: FnheFaultSpec): FnheTrace {
  const m = new Machine(sc.cpus, sc.genid ?? 1, sc.fnheGenid ?? 0);
  const nTasks = sc.tasks.length;
  let faultLine: number | undefined;
  let faultApplied = false;
  /** no-kill: the route that must fail its next check; its next check's return is the fault line. */
  let survivor: Route | null = null;
  /** The faulty task has started a later call (its next line shows the update returned). */
  let survivorSeen = false;
  /** The faulty update's window. */
  let faultyUpdate: Machine['windows'][number] | undefined;
  const states: TaskState[] = sc.tasks.map(() => ({ sk: new Map() }));
  // A softirq call keeps its CPU (irqCpu) and nothing else prints there until it returns.
  const cur = sc.tasks.map(() => ({ call: -1, steps: [] as Step[], irqCpu: -1 }));
  const busy = (cpu: number, t: number) => cur.some((o, i) => i !== t && o.irqCpu === cpu && o.steps.length > 0);
  const canRun = (t: number) => (cur[t]!.irqCpu >= 0 && cur[t]!.steps.length > 0) || Array.from({ length: sc.cpus }, (_, cpu) => cpu).some((cpu) => !busy(cpu, t));
  const hasWork = (t: number) => cur[t]!.steps.length > 0 || cur[t]!.call + 1 < sc.tasks[t]!.length;
  const inFlight = (t: number) => cur[t]!.steps.length > 0;
  let step = 0;
  const runStep = (t: number) => {
    const c = cur[t]!;
    if (c.steps.length === 0) {
      c.call++;
      const call = sc.tasks[t]![c.call]!;
      const isFaulty = fault !== undefined && fault.task === t && fault.call === c.call;
      // The faulty task starts a later call: its first step prints, showing the update returned.
      if (survivor !== null && fault && t === fault.task && c.call > fault.call) survivorSeen = true;
      c.irqCpu = -1;
      c.steps = stepsOf(m, states[t]!, call, isFaulty ? fault!.fault : undefined, (l) => (faultLine ??= l), () => (faultApplied = true), (r) => {
        survivor = r;
        faultyUpdate = [...m.windows].reverse().find((w) => w.kind === 'update');
      });
      const sv = survivor as Route | null;
      if (sv !== null && !isFaulty && faultLine === undefined && call.kind === 'check' && states[t]!.sk.get(call.d) === sv) {
        // A check of the survivor. Replay judges it only if it entered after the updater showed
        // it returned (before that, the kill may still be in progress): its return shows it valid.
        const steps = c.steps;
        const first = steps[0]!;
        const last = steps[steps.length - 1]!;
        let judged = false;
        steps[0] = () => {
          first();
          // After the entry line (which may show a softirq on its CPU returned): the faulty
          // update's context must have moved on, and an update elsewhere that began while it was
          // open, and is still open, may be killing the route now.
          const fw = faultyUpdate;
          judged = survivorSeen && fw?.end !== undefined && !m.windows.some((w) => w.kind === 'update' && w.end === undefined && w.key !== m.key && w.line > fw.line && w.line < fw.end!);
        };
        steps[steps.length - 1] = () => {
          const before = m.nextLine;
          last();
          const valid = m.out[m.out.length - 1]!.endsWith(`ret=${sv.ptr}`);
          if (valid && judged && !overlapped(m, sv)) faultLine ??= before;
          if (!valid || judged) survivor = null;
        };
      }
    }
    m.pid = 300 + t;
    let cpu = c.irqCpu >= 0 ? c.irqCpu : sc.cpuOf ? sc.cpuOf[step % sc.cpuOf.length]! % sc.cpus : t % sc.cpus;
    for (let i = 0; i < sc.cpus && c.irqCpu < 0 && busy(cpu, t); i++) cpu = (cpu + 1) % sc.cpus;
    const call = sc.tasks[t]![c.call]!;
    if (call.kind === 'pmtu' && call.softirq) c.irqCpu = cpu;
    m.cpu = cpu;
    m.softirq = c.irqCpu >= 0;
    step++;
    c.steps.shift()!();
  };
  runSchedule({ count: nTasks, hasWork, canRun, inFlight, nextCall: (t) => cur[t]!.call, step: runStep }, sc.schedule, fault);
  return { text: m.out.join('\n') + '\n', faultLine: faultApplied ? faultLine : undefined, faultApplied: faultApplied && faultLine !== undefined, lines: m.nextLine - 1 };
}
