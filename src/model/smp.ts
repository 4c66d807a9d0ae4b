/**
 * Several CPUs running the routing-cache calls at once, step by step, against shared state, and
 * the Linux 3.0 probe lines they print (the layout of the linux-3.0-seed probe map).
 *
 * Each task runs a list of calls (`SmpCall`); each call is a sequence of atomic steps: a probe
 * firing (one trace line, reading the state at that instant) or one memory access of the C
 * (ipv4_dst_check's compare, its `!rt->peer` test, the lookup, rt_bind_peer's cmpxchg, a stamp,
 * frag_needed's bump). A schedule (a list of task indices) picks which task steps next, so the
 * kernel's real race outcomes come out of executing the interleaving, not out of a rule written
 * for them: a stale entry read, a lost cmpxchg whose loser puts its peer and does not stamp, a
 * stamp read before a bump on another CPU, a create=0 lookup that misses a peer linked an
 * instant later. Code followed: 3.0.1 route.c (stage S3), where rt_bind_peer is inlined into
 * ipv4_dst_check and ip_rt_frag_needed bumps once per call that got a peer; with `stage` S4/S5
 * (3.2 .. 3.5), ip_rt_frag_needed bumps only when it learns (no PMTU learned yet, or a lower
 * one), the test and the learning being separate reads and writes (two CPUs may both learn and
 * bump). The check is the same code there (ipv4_validate_peer inlined into ipv4_dst_check); S2
 * (2.6.39) is S3 here.
 *
 * Tasks may run on any CPU (a task preempted and migrated mid-call prints its return on another
 * CPU): `cpuOf` picks the CPU of each step. Faults (`SmpFault`) change one call's behaviour the
 * way a broken kernel would; the generator reports the line where replay must catch it.
 */
import fc from 'fast-check';
import type { Stage } from './types.ts';
import { bare, bindPeerSteps, daddrOf, hex, ipHex, Machine, type Step, u32 } from './smp-machine.ts';
import { flushSteps, redirectSteps, routeSteps, updateSteps, type SmpPathCall } from './smp-paths.ts';
import { runSchedule } from './smp-schedule.ts';

export { SMP_TEXT_HEADER } from './smp-machine.ts';

export type SmpCall =
  /** ipv4_dst_check(rt) by a socket of this task. */
  | { kind: 'check'; rt: number }
  /** rt_bind_peer(rt, create) called out of line (e.g. from icmp_send / ip_select_ident). */
  | { kind: 'bind'; rt: number; create: 0 | 1 }
  /** ip_rt_frag_needed for a destination: learns in the peer (create=1) and bumps the genid. */
  | { kind: 'frag'; daddr: number; mtu: number }
  /**
   * An output route lookup that hits the route in the cache (__ip_route_output_key). S4/S5 run
   * ipv4_validate_peer there: compare, lookup-only bind if peerless, stamp, with no probe of a
   * check (only the lookup's, its caller the lookup function). Nothing happens before 3.2.
   */
  | { kind: 'hit'; rt: number }
  /**
   * __ip_select_ident on a packet using the route: `if (rt->peer == NULL) rt_bind_peer(rt, daddr, 1)`,
   * rt_bind_peer inlined (3.0.1): only the lookup's probes show, naming __ip_select_ident, no route.
   */
  | { kind: 'ident'; rt: number }
  /** ip_rt_update_pmtu, ip_rt_redirect, rt_cache_flush: smp-paths.ts. */
  | SmpPathCall;

export type SmpFault =
  /** A check that took the slow path returns without re-stamping the route. */
  | 'not-restamped'
  /** The check's lookup-only bind creates a peer that did not exist. */
  | 'lookup-created-peer'
  /** A check whose route is current looks its peer up anyway. */
  | 'fast-path-binds';

export const SMP_FAULTS: readonly SmpFault[] = ['not-restamped', 'lookup-created-peer', 'fast-path-binds'];

export interface SmpScenario {
  /** Destinations 10.1.0.(5+i); route i goes to daddr routeDaddr[i]. */
  routeDaddr: number[];
  /** One call list per task (task t has pid 200 + t). */
  tasks: SmpCall[][];
  /** Which task runs the next step (indices modulo the tasks with work left). */
  schedule: number[];
  /** The CPU each step runs on (modulo cpus); absent: task t on CPU t % cpus. */
  cpuOf?: number[];
  cpus: number;
  /** Initial global genid. */
  genid?: number;
  /** check_peer_pmtu's probe is traced (each call of it prints a line, in a step of its own). */
  checkPmtu?: boolean;
}

export interface SmpFaultSpec {
  fault: SmpFault;
  /** The task and the index of its call that misbehaves. That call runs with no other call in flight. */
  task: number;
  call: number;
}

export interface SmpTrace {
  text: string;
  /** Line (1-based, in `text`) where the injected fault shows; undefined without a fault or when it did not apply. */
  faultLine?: number;
  /** Whether the fault could be applied (e.g. `not-restamped` needs a slow path). */
  faultApplied: boolean;
  lines: number;
}

/** The steps of one call, closed over the machine; `fault` changes this call only. */
function stepsOf(m: Machine, call: SmpCall, fault: SmpFault | undefined, mark: (line: number) => void, applied: () => void): Step[] {
  if (call.kind === 'check') {
    const r = m.routes[call.rt]!;
    let slow = false;
    let found: string | null = null;
    let noPeer = false;
    let forcedSlow = false;
    let expired = false;
    const steps: Step[] = [];
    steps.push(() => {
      m.print(`dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${bare(r.ptr)} peer=${bare(r.peer)} rt_pgenid=${hex(r.rtg)} g=${hex(m.G)} dst=${ipHex(r.daddr)} gw=${ipHex(r.gw)} flags=${hex(r.flags)} obsolete=-1`);
    });
    // if (rt_is_expired(rt)) return NULL;  (a flush moved the namespace's rt_genid). Its own step
    // only where flushes, redirects or PMTU updates run (a scenario without them keeps the steps,
    // and so the interleavings of its schedule, it always had).
    if (m.extended) {
      steps.push(() => {
        expired = r.netG !== m.netG;
      });
    }
    steps.push(() => {
      if (expired) return;
      // if (rt->rt_peer_genid != rt_peer_genid())
      slow = r.rtg !== m.G;
      if (fault === 'fast-path-binds' && !slow && r.peer === null) {
        slow = true; // the broken compare: looks up although current
        forcedSlow = true;
        applied();
      }
    });
    steps.push(() => {
      // if (!rt->peer) rt_bind_peer(rt, 0)  (inlined)
      noPeer = slow && r.peer === null;
    });
    steps.push(() => {
      if (!noPeer) return;
      const line = m.print(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ipHex(r.daddr)} family=2 create=0`);
      if (forcedSlow) mark(line);
    });
    steps.push(() => {
      if (!noPeer) return;
      // (A fault replay can see: a lookup has shown there was no peer.)
      const creates = fault === 'lookup-created-peer' && !m.peers.has(r.daddr) && m.sawNone.has(r.daddr);
      found = m.getpeer(r.daddr, creates, creates);
      const line = m.print(`getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=${bare(found)}`);
      if (creates) {
        applied();
        mark(line);
      }
    });
    steps.push(() => {
      if (!noPeer) return;
      // if (peer && cmpxchg(&rt->peer, NULL, peer) != NULL) inet_putpeer(peer); else stamp
      if (found !== null && r.peer !== null) return; // lost: the loser puts its peer, no stamp
      if (found !== null) r.peer = found;
      r.rtg = m.G;
    });
    if (m.extended) {
      let peer: string | null = null;
      if (m.probePmtu) {
        steps.push(() => {
          // peer = rt->peer; if (peer) check_peer_pmtu(dst, peer) (its probe; the route's MTU is not printed here)
          peer = slow ? r.peer : null;
          if (peer !== null) m.printCheckPmtu(r, peer);
        });
      }
      steps.push(() => {
        // ... then the learned redirect.
        if (!m.probePmtu) peer = slow ? r.peer : null;
        if (peer !== null) m.applyRedirect(r, peer);
      });
    }
    steps.push(() => {
      if (!slow) return;
      // rt->rt_peer_genid = rt_peer_genid();
      if (fault === 'not-restamped' && r.rtg !== m.G) {
        applied();
        return;
      }
      r.rtg = m.G;
    });
    steps.push(() => {
      // A NULL return: the probe's reads through it give 0.
      const line = expired
        ? m.print(`dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=0 peer=0 rt_pgenid=0 g=${hex(m.G)} gw=0 flags=0`)
        : m.print(`dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${bare(r.ptr)} peer=${bare(r.peer)} rt_pgenid=${hex(r.rtg)} g=${hex(m.G)} gw=${ipHex(r.gw)} flags=${hex(r.flags)}`);
      if (fault === 'not-restamped') mark(line);
    });
    return steps;
  }
  if (call.kind === 'hit') {
    if (m.stage !== 'S4' && m.stage !== 'S5') return [() => {}];
    // ipv4_validate_peer inlined into the lookup: the same steps as the check's, without its probes.
    const r = m.routes[call.rt]!;
    let slow = false;
    let noPeer = false;
    return [
      () => {
        // The cache lookup skips an expired route (a new one would be made: not a hit of this one).
        slow = r.netG === m.netG && r.rtg !== m.G;
      },
      () => {
        noPeer = slow && r.peer === null;
      },
      ...bindPeerSteps(m, r, 0, '__ip_route_output_key+0x2a4/0x7a0', () => noPeer),
      ...(m.extended
        ? [
            ...(m.probePmtu
              ? [
                  () => {
                    if (slow && r.peer !== null) m.printCheckPmtu(r, r.peer);
                  },
                ]
              : []),
            () => {
              if (slow && r.peer !== null) m.applyRedirect(r, r.peer);
            },
          ]
        : []),
      () => {
        if (slow) r.rtg = m.G;
      },
    ];
  }
  if (call.kind === 'ident') {
    const r = m.routes[call.rt]!;
    let need = false;
    return [
      () => {
        need = r.peer === null;
      },
      ...bindPeerSteps(m, r, 1, '__ip_select_ident+0xc3/0x110', () => need),
    ];
  }
  if (call.kind === 'bind') {
    const r = m.routes[call.rt]!;
    let stamped = false;
    return [
      () => {
        m.print(`bind: (rt_bind_peer+0x0/0x60) rt=${bare(r.ptr)} daddr=${ipHex(r.daddr)} create=${call.create} peer=${bare(r.peer)} rt_pgenid=${hex(r.rtg)} g=${hex(m.G)}`);
      },
      ...bindPeerSteps(m, r, call.create, 'rt_bind_peer+0x21/0x60', undefined, () => {
        stamped = true;
      }),
      () => {
        // rt_bind_peer+0x54: the else branch's stamp, as the probe reads it afterwards.
        if (stamped) m.print(`bind_set: (rt_bind_peer+0x54/0x60) rt=${bare(r.ptr)} peer=${bare(r.peer)} rt_pgenid=${hex(r.rtg)} g=${hex(m.G)}`);
      },
      () => {
        m.print(`bind_ret: (icmp_send+0x5e3/0x620 <- rt_bind_peer) g=${hex(m.G)}`);
      },
    ];
  }
  if (call.kind === 'update') return updateSteps(m, call);
  if (call.kind === 'redirect') return redirectSteps(m, call);
  if (call.kind === 'flush') return flushSteps(m);
  if (call.kind === 'route') return routeSteps(m, call);
  const daddr = daddrOf(call.daddr);
  let got: string | null = null;
  let entryG = 0;
  let learns = false;
  const onChange = m.stage === 'S4' || m.stage === 'S5';
  return [
    () => {
      entryG = m.G;
      m.print(`frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=${ipHex(daddr)} tot_len=9405 new_mtu=${hex(call.mtu)} g=${hex(m.G)}`);
    },
    () => {
      m.print(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ipHex(daddr)} family=2 create=1`);
    },
    () => {
      got = m.getpeer(daddr, true);
      m.print(`getpeer_ret: (ip_rt_frag_needed+0x2f/0x160 <- inet_getpeer) peer=${bare(got)}`);
    },
    () => {
      // if (!peer->pmtu_expires || mtu < peer->pmtu_learned): read now, written a step later.
      const had = got === null ? undefined : m.learned.get(got);
      learns = got !== null && (had === undefined || call.mtu < had);
    },
    () => {
      if (got === null) return;
      if (learns) m.learned.set(got, call.mtu);
      // S2/S3: every call that got a peer bumps (atomic_inc after inet_putpeer); S4/S5 only the
      // learning branch does.
      if (!onChange || learns) m.G = u32(m.G + 1);
    },
    () => {
      void entryG;
      m.print(`frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=${hex(call.mtu)} g=${hex(m.G)}`);
    },
  ];
}

/**
 * Runs the scenario: the interleaving chosen by `schedule`, each step against the shared state,
 * and returns the trace text. With a fault, the faulty call runs with no other call in flight
 * (the calls around it stay interleaved), so that nothing another CPU does can explain it.
 */
export function runSmp(sc: SmpScenario, fault?: SmpFaultSpec, opts: { stage?: Stage } = {}): SmpTrace {
  const m = new Machine(sc.routeDaddr, sc.genid ?? 1, opts.stage ?? 'S3');
  m.probePmtu = sc.checkPmtu === true;
  m.extended = sc.tasks.some((calls) => calls.some((c) => c.kind === 'update' || c.kind === 'redirect' || c.kind === 'flush' || c.kind === 'route'));
  const nTasks = sc.tasks.length;
  let faultLine: number | undefined;
  let faultApplied = false;
  // Per task: its calls, the index of the current call, the current call's remaining steps.
  // A frag_needed runs in softirq: it keeps its CPU and nothing else prints there until it returns.
  const cur = sc.tasks.map(() => ({ call: -1, steps: [] as Step[], irqCpu: -1 }));
  const hasWork = (t: number) => cur[t]!.steps.length > 0 || cur[t]!.call + 1 < sc.tasks[t]!.length;
  const inFlight = (t: number) => cur[t]!.steps.length > 0;
  let step = 0;
  const busy = (cpu: number, t: number) => cur.some((o, i) => i !== t && o.irqCpu === cpu && o.steps.length > 0);
  const runStep = (t: number) => {
    const c = cur[t]!;
    if (c.steps.length === 0) {
      c.call++;
      const isFaulty = fault !== undefined && fault.task === t && fault.call === c.call;
      c.steps = stepsOf(m, sc.tasks[t]![c.call]!, isFaulty ? fault!.fault : undefined, (l) => (faultLine ??= l), () => (faultApplied = true));
      c.irqCpu = -1;
      m.using(sc.tasks[t]![c.call]!, 1);
    }
    m.pid = 200 + t;
    let cpu = c.irqCpu >= 0 ? c.irqCpu : sc.cpuOf ? sc.cpuOf[step % sc.cpuOf.length]! % sc.cpus : t % sc.cpus;
    for (let i = 0; i < sc.cpus && c.irqCpu < 0 && busy(cpu, t); i++) cpu = (cpu + 1) % sc.cpus;
    // ICMP input (frag-needed, tcp_v4_err's update_pmtu, redirects) runs in softirq.
    const kind = sc.tasks[t]![c.call]!.kind;
    if (kind === 'frag' || kind === 'update' || kind === 'redirect') c.irqCpu = cpu;
    m.cpu = cpu;
    step++;
    c.steps.shift()!();
    if (c.steps.length === 0) m.using(sc.tasks[t]![c.call]!, -1);
  };
  /** Can task t step now (not pushed off every CPU by softirqs in progress)? */
  const canRun = (t: number) => cur[t]!.irqCpu >= 0 && cur[t]!.steps.length > 0 ? true : Array.from({ length: sc.cpus }, (_, cpu) => cpu).some((cpu) => !busy(cpu, t));
  // The faulty call starts in task context (not as a softirq left from an earlier call).
  runSchedule({ count: nTasks, hasWork, canRun, inFlight, nextCall: (t) => cur[t]!.call, step: runStep, beforeFault: (t) => { cur[t]!.irqCpu = -1; } }, sc.schedule, fault);
  return { text: m.out.join('\n') + '\n', faultLine: faultApplied ? faultLine : undefined, faultApplied, lines: m.nextLine - 1 };
}

/** Sequential warm-up: each route checked once alone (its lookup shows whether a peer exists). */
function warmup(routes: number): SmpCall[] {
  return Array.from({ length: routes }, (_, rt) => ({ kind: 'check' as const, rt }));
}

/**
 * fast-check arbitrary of SMP scenarios: 2-4 CPUs, 2-4 tasks, 1-3 routes over 1-2 destinations,
 * calls mixed (checks dominate, route binds, frag_needed; on request cache hits, IP ID binds,
 * update_pmtu, redirects and flushes), a random schedule and CPU placement.
 */
export function smpArbitrary(
  opts: {
    maxCalls?: number;
    frag?: boolean;
    /** Route-cache hits (S4/S5 validate there). */ hit?: boolean;
    /** IP ID binds (inlined rt_bind_peer). */ ident?: boolean;
    /** ip_rt_update_pmtu on a route. */ update?: boolean;
    /** ip_rt_redirect for a route's destination. */ redirect?: boolean;
    /** rt_cache_flush (routes expire). */ flush?: boolean;
    /** An expired route destroyed and a new one made at its address (with flushes). */ route?: boolean;
  } = {},
): fc.Arbitrary<SmpScenario> {
  const maxCalls = opts.maxCalls ?? 6;
  // Without the path kinds the draws are the ones they always were (same seeds, same scenarios).
  const kinds = opts.update || opts.redirect || opts.flush || opts.route ? 13 : 10;
  return fc
    .record({
      cpus: fc.integer({ min: 2, max: 4 }),
      nTasks: fc.integer({ min: 2, max: 4 }),
      routeDaddr: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 3 }),
      raw: fc.array(fc.array(fc.tuple(fc.nat(kinds - 1), fc.nat(7), fc.nat(1)), { minLength: 1, maxLength: maxCalls }), { minLength: 4, maxLength: 4 }),
      schedule: fc.array(fc.nat(11), { minLength: 1, maxLength: 80 }),
      cpuOf: fc.option(fc.array(fc.nat(3), { minLength: 1, maxLength: 40 }), { nil: undefined }),
      genid: fc.oneof(fc.constant(1), fc.constant(0xffffffff), fc.nat()),
      // (Drawn only with the path kinds: the other scenarios stay the ones they always were.)
      checkPmtu: kinds > 10 ? fc.boolean() : fc.constant(false),
    })
    .map(({ cpus, nTasks, routeDaddr, raw, schedule, cpuOf, genid, checkPmtu }) => {
      const nRoutes = routeDaddr.length;
      const tasks: SmpCall[][] = raw.slice(0, nTasks).map((calls) =>
        calls.map(([k, a, b]): SmpCall => {
          if (k === 10) return opts.update ? { kind: 'update', rt: a % nRoutes, mtu: [1400, 1200, 1000][(a + b) % 3]! } : { kind: 'check', rt: a % nRoutes };
          if (k === 11) return opts.redirect ? { kind: 'redirect', daddr: routeDaddr[a % nRoutes]!, gw: b } : { kind: 'check', rt: a % nRoutes };
          if (k === 12) return opts.flush && a < 3 ? { kind: 'flush' } : opts.route && a < 6 ? { kind: 'route', rt: a % nRoutes } : { kind: 'check', rt: a % nRoutes };
          if (opts.hit && k === 5) return { kind: 'hit', rt: a % nRoutes };
          if (opts.ident && k === 4) return { kind: 'ident', rt: a % nRoutes };
          if (k <= 5 || (!opts.frag && k >= 8)) return { kind: 'check', rt: a % nRoutes };
          if (k <= 7) return { kind: 'bind', rt: a % nRoutes, create: b as 0 | 1 };
          return { kind: 'frag', daddr: routeDaddr[a % nRoutes]!, mtu: [1400, 1200, 1000][a % 3]! };
        }),
      );
      // Task 0 starts with the warm-up, run before anything else is scheduled (schedule 0s).
      tasks[0] = [...warmup(nRoutes), ...tasks[0]!];
      return { cpus, routeDaddr, tasks, schedule: [...Array<number>(nRoutes * 8).fill(0), ...schedule], cpuOf, genid, ...(checkPmtu ? { checkPmtu } : {}) };
    });
}
