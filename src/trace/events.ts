/**
 * Canonical events: the contract between the trace readers, the model and replay
 * (README.md, "How it fits together"). One event per probe hit, in trace order,
 * with the trace's own file and line.
 *
 * Partial observation: a field that was not captured is absent (undefined), never guessed.
 * Pointers are lower-case hex strings with 0x ("0xffff88001e53ae40"); the NULL pointer is "0x0".
 * Genids are unsigned 32-bit numbers (0 .. 2^32-1) unless a field says otherwise.
 */
export type EventKind =
  /** A route seen for the first time / created. */
  | 'route'
  /** Entry of rt_bind_peer (or an inlined bind seen through inet_getpeer and its caller). */
  | 'bind'
  /** Return of a bind: peer after, rt_genid after. */
  | 'bind_ret'
  /** Entry of ipv4_dst_check. */
  | 'check'
  /** Return of ipv4_dst_check: ret is the returned dst or "0x0". */
  | 'check_ret'
  /** The global peer genid moved (seed era), or a namespace / fnhe genid moved (modern). */
  | 'genid_bump'
  /** An inetpeer came into existence for daddr. */
  | 'peer_new'
  /** New path MTU learned for daddr. */
  | 'pmtu'
  /** A redirect for daddr to gateway. */
  | 'redirect'
  /** A route cache flush. */
  | 'flush'
  /** A route was freed; its pointer may be reused by a new route afterwards. */
  | 'route_free'
  /** Modern era: a next-hop exception created or updated (update_or_create_fnhe) / found. */
  | 'fnhe'
  /** A workload step marker (trace_marker), kept for context in reports. */
  | 'marker'
  /** Cache eras: entry of check_peer_pmtu: the peer's PMTU/redirect state as a check (or route creation, update_pmtu) applies it. */
  | 'peer_pmtu'
  /** The route's MTU as a probe beside another read it (a second short probe at the same address, for kernels that take short definitions only). */
  | 'route_mtu';

export const EVENT_KINDS: readonly EventKind[] = [
  'route', 'bind', 'bind_ret', 'check', 'check_ret', 'genid_bump', 'peer_new',
  'pmtu', 'redirect', 'flush', 'route_free', 'fnhe', 'marker', 'peer_pmtu', 'route_mtu',
];

export interface CanonicalEvent {
  kind: EventKind;
  /** Trace file as the user named it, and 1-based line number in it. */
  file: string;
  line: number;
  /** Trace timestamp in seconds, CPU, task, pid, when the format has them. */
  ts?: number;
  cpu?: number;
  task?: string;
  pid?: number;
  /**
   * Interrupt context the trace's flags showed: 1 softirq, 2 hardirq, 3 NMI (src/trace/callctx.ts).
   * Absent in task context and when the layout has no flags.
   */
  irq?: number;
  /** The raw trace event name (probe name) this was derived from. */
  probe?: string;
  /** For return probes: the caller symbol (`ipv4_dst_check+0x11d`). */
  caller?: string;
  /**
   * 1: emitted from a return probe whose call's entry the reader did not see: the call began
   * before the trace or in lost events and was in progress across the start or the gap (replay
   * takes back what it judged meanwhile), unless the entry probe never fires in the trace at all
   * (TraceReadStats.entryNeverFired).
   */
  unpaired?: number;

  /** The route (struct rtable / dst_entry pointer). */
  rt?: string;
  /** Destination address, dotted quad. */
  daddr?: string;
  /** Peer pointer (before, for bind/check; after, for bind_ret/check_ret). */
  peer?: string;
  /** Peer pointer before the operation, where both are seen. */
  peerBefore?: string;
  /** bind: create flag (0 lookup only, 1 create). */
  create?: number;
  /** Route's genid (rt->rt_peer_genid in the seed era, rt->rt_genid in modern kernels). */
  rtGenid?: number;
  /** Global genid (__rt_peer_genid), or the namespace's rt_genid in modern kernels. */
  genid?: number;
  /** check_ret: returned dst pointer, "0x0" for NULL. */
  ret?: string;
  /** genid_bump: the value before and after. */
  old?: number;
  new?: number;
  /** pmtu: the MTU; redirect: the new gateway (dotted quad); old gateway. */
  mtu?: number;
  gateway?: string;
  oldGateway?: string;
  /** The route's current gateway and MTU as read at the probe (for checking what was applied). */
  rtGateway?: string;
  rtMtu?: number;
  /** Route flags (RTCF_REDIRECTED = 0x40000 in the seed era). */
  flags?: number;
  /** dst->obsolete (-1 valid/FORCE_CHK, -2 KILL, 2 DEAD). */
  obsolete?: number;
  /** Network namespace pointer (modern traces carry several). */
  net?: string;
  /** Modern: the namespace's fnhe_genid and the exception's own genid. */
  fnheGenid?: number;
  exceptionGenid?: number;
  /** Which genid a genid_bump refers to: the global peer genid, a netns rt_genid, or fnhe_genid. */
  counter?: 'peer' | 'rt' | 'fnhe';
  /** marker: the text written to trace_marker. */
  text?: string;
  /** Modern: the next-hop exception (struct fib_nh_exception) pointer. */
  fnhe?: string;
  /** The net_device pointer (device MTU changes, device flushes). */
  dev?: string;
  /** A device MTU change: the MTU before (mtu is the new one). ip_rt_frag_needed: the quoted packet's length (its `old_mtu`). */
  oldMtu?: number;

  // Cache eras (2.6.39 .. 3.5): what the PMTU and redirect paths must do, where the probes show it.
  /** The peer's learned PMTU (inet_peer.pmtu_learned; meaningful only while pmtuExpires != 0). */
  pmtuLearned?: number;
  /** The MTU metric saved to restore on expiry (inet_peer.pmtu_orig; 0 = not saved, and the raw metric 0 means the device MTU). */
  pmtuOrig?: number;
  /** inet_peer.pmtu_expires in jiffies (0 = nothing learned). */
  pmtuExpires?: number;
  /** jiffies when the probe fired. */
  now?: number;
  /** The peer's learned redirect gateway (inet_peer.redirect_learned; 0.0.0.0 = none). */
  redirectLearned?: string;
  /** The route's device MTU (what dst_mtu falls back to when the raw MTU metric is 0). */
  devMtu?: number;
  /**
   * The route's raw metrics word (dst->_metrics, an unsigned long whose low bit is DST_METRICS_READ_ONLY),
   * and the u32 read at +K and at +(K-1) from it (K = the RTAX_MTU slot's byte offset): the decoder
   * takes the second when the low bit is set (the pointer is then one byte past the array).
   */
  metrics?: string;
  mtuMetric?: number;
  mtuMetricRo?: number;
  /** pmtu (ip_rt_frag_needed): the MTU the ICMP message announced (new_mtu); `mtu` is what the function returned. */
  icmpMtu?: number;
  /** ip_rt_min_pmtu when the probe fired (the floor of every learned PMTU). */
  minPmtu?: number;
}

/** A gap in the trace: events the kernel dropped ([LOST N EVENTS], EVENTS DROPPED). */
export interface TraceGap {
  file: string;
  line: number;
  cpu?: number;
  /** undefined when the count is unknown ("[EVENTS DROPPED]"). */
  count?: number;
  /**
   * What the trace said: 'lost' (CPU:N [LOST N EVENTS]), 'dropped' (trace-cmd EVENTS DROPPED),
   * 'overrun' (##### CPU N buffer started ####: that CPU's earlier events were overwritten),
   * 'entries' (header entries-written > entries-in-buffer), 'bpftrace' (lost_events).
   */
  reason?: 'lost' | 'dropped' | 'overrun' | 'entries' | 'bpftrace';
  /** Timestamp of the next event after the gap, when known. */
  ts?: number;
  /**
   * The last gap listed: there were more from here on (too many to list, MAX_GAPS), so events may
   * be missing anywhere in the rest of the trace.
   */
  more?: boolean;
}
