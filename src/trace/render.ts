/**
 * Canonical events (the model's, src/model/generate.ts) rendered as the ftrace text the Linux 3.0
 * probes of traces/README.md print: bare hex, IPv4 as network-order u32, inlined binds as
 * inet_getpeer entry/return with their caller, PMTU/redirect paths with their return and genid.
 * The inverse of the linux-3.0-seed probe map: benchmarks and round-trip tests use it to make
 * large realistic traces.
 */
import type { CanonicalEvent } from './events.ts';

export const SEED_TEXT_HEADER = '# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n';

/** 3.0 prints unsigned values in hex without 0x, IPv4 addresses as network-order u32. */
const hex = (n: number) => (n >>> 0).toString(16);
/** Wide values (jiffies, pmtu_expires are unsigned long) in hex without 0x. */
const hex64 = (n: number) => Math.max(0, Math.trunc(n)).toString(16);
/** Optional fields the generated probes add (route MTU, jiffies, ip_rt_min_pmtu): printed when the event has them. */
const opt = (name: string, v: number | undefined) => (v === undefined ? '' : ` ${name}=${hex64(v)}`);
const ptr = (p: string | undefined) => (p === undefined ? '0' : p.replace(/^0x/, ''));
const ip = (a: string | undefined) => {
  if (!a) return '0';
  const b = a.split('.').map(Number);
  return hex(((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0);
};

/**
 * Renders the model's canonical events (in order) as the probe lines the 3.0 probes would print.
 * Stateful: a PMTU/redirect path's return line comes after its lookup, with the genid after.
 */
export class SeedTextRenderer {
  private ts = 1;
  private g = 0;
  private open: { kind: 'frag' | 'update' | 'redirect'; mtu: number } | undefined;
  private pendingBind: CanonicalEvent | undefined;
  /** Live routes by pointer (last peer and destination), to show a reused pointer's old route freed. */
  private readonly live = new Map<string, { peer?: string; daddr?: string }>();
  private readonly task = '          peerwl-25    [000] ';

  /**
   * A PMTU/redirect path is open (its entry printed, its return not yet): a marker written now
   * would land inside the kernel path and close it before its bump. Writers of interleaved
   * markers (the benchmark) wait until this is false.
   */
  get pathOpen(): boolean {
    return this.open !== undefined;
  }

  private line(body: string): string {
    this.ts += 0.000013;
    return `${this.task}${this.ts.toFixed(6).padStart(12)}: ${body}\n`;
  }

  private closePath(newG: number): string {
    const o = this.open!;
    this.open = undefined;
    this.g = newG;
    if (o.kind === 'frag') return this.line(`frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=${hex(o.mtu)} g=${hex(newG)}`);
    if (o.kind === 'update') return this.line(`update_pmtu_ret: (tcp_v4_err+0x491/0x590 <- ip_rt_update_pmtu) g=${hex(newG)}`);
    return this.line(`redirect_ret: (icmp_redirect+0xbe/0x140 <- ip_rt_redirect) g=${hex(newG)}`);
  }

  render(e: CanonicalEvent): string {
    let out = '';
    if (this.open && e.kind !== 'bind' && e.kind !== 'bind_ret' && e.kind !== 'genid_bump' && e.kind !== 'peer_pmtu') out += this.closePath(this.g);
    if (e.genid !== undefined && e.kind !== 'genid_bump') this.g = e.genid;
    switch (e.kind) {
      case 'check':
        return out + this.line(`dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${ptr(e.rt)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)} dst=${ip(e.daddr)} gw=${ip(e.rtGateway)} flags=${hex(e.flags ?? 0)} obsolete=${e.obsolete ?? -1}${opt('mtu', e.rtMtu)}`);
      case 'check_ret':
        return out + this.line(`dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${ptr(e.ret)} peer=${ptr(e.ret === '0x0' ? '0x0' : e.peer)} rt_pgenid=${hex(e.ret === '0x0' ? 0 : e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)} gw=${ip(e.ret === '0x0' ? undefined : e.rtGateway)} flags=${hex(e.ret === '0x0' ? 0 : e.flags ?? 0)}${opt('mtu', e.ret === '0x0' ? undefined : e.rtMtu)}`);
      case 'bind':
        if (e.probe === 'bind') {
          this.pendingBind = e;
          return out + this.line(`bind: (rt_bind_peer+0x0/0x60) rt=${ptr(e.rt)} daddr=${ip(e.daddr)} create=${e.create ?? 0} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)}`);
        }
        return out + this.line(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ip(e.daddr)} family=2 create=${e.create ?? 0}`);
      case 'bind_ret':
        if (e.probe === 'bind_ret') {
          const b = this.pendingBind;
          this.pendingBind = undefined;
          return out +
            this.line(`bind_set: (rt_bind_peer+0x54/0x60) rt=${ptr(e.rt ?? b?.rt)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(this.g)}`) +
            this.line(`bind_ret: (icmp_send+0x5e3/0x620 <- rt_bind_peer) g=${hex(this.g)}`);
        }
        return out + this.line(`getpeer_ret: (${e.caller ?? 'rt_bind_peer+0x21'}/0x1c0 <- inet_getpeer) peer=${ptr(e.peer)}`);
      case 'pmtu':
        if (e.rt !== undefined) {
          this.open = { kind: 'update', mtu: e.mtu ?? 0 };
          return out + this.line(`update_pmtu: (ip_rt_update_pmtu+0x0/0x120) rt=${ptr(e.rt)} mtu=${hex(e.mtu ?? 0)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(this.g)}${opt('min_pmtu', e.minPmtu)}${opt('jiffies', e.now)}`);
        }
        this.open = { kind: 'frag', mtu: e.mtu ?? 0 };
        return out + this.line(`frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=${ip(e.daddr)} tot_len=9405 new_mtu=${hex(e.icmpMtu ?? e.mtu ?? 0)} g=${hex(this.g)}${opt('min_pmtu', e.minPmtu)}${opt('jiffies', e.now)}`);
      case 'redirect':
        this.open = { kind: 'redirect', mtu: 0 };
        return out + this.line(`redirect: (ip_rt_redirect+0x0/0x1d0) old_gw=${ip(e.oldGateway)} daddr=${ip(e.daddr)} new_gw=${ip(e.gateway)} saddr=200000a g=${hex(this.g)}`);
      case 'genid_bump':
        if (this.open) return out + this.closePath(e.new ?? this.g);
        // A bump with no path event of its own: the 3.0 probes see bumps only inside a PMTU path.
        this.open = { kind: 'frag', mtu: 576 };
        return out + this.line(`frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=909090a tot_len=9405 new_mtu=240 g=${hex(this.g)}`) + this.closePath(e.new ?? this.g);
      case 'flush':
        return out + this.line(`cache_flush: (rt_cache_flush+0x0/0x60) delay=-1 g=${hex(this.g)}`);
      case 'route_free':
        if (e.rt !== undefined) this.live.delete(e.rt);
        return out + this.line(`dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${ptr(e.rt)} peer=${ptr(e.peer)} dst=${ip(e.daddr)}`);
      case 'marker':
        return out + this.line(`0: ${e.text ?? ''}`);
      case 'peer_pmtu':
        return out + this.line(
          `check_pmtu: (check_peer_pmtu+0x0/0x120) dst=${ptr(e.rt)} peer=${ptr(e.peer)} pmtu_learned=${hex(e.pmtuLearned ?? 0)} pmtu_orig=${hex(e.pmtuOrig ?? 0)} pmtu_expires=${hex64(e.pmtuExpires ?? 0)} redirect_learned=${ip(e.redirectLearned)}${opt('jiffies', e.now)}`,
        );
      case 'route': {
        // Route creation has no probe line of its own in 3.0 (the getpeer return of rt_set_nexthop
        // shows it, without the pointer). The generator may reuse a live route's pointer for a new
        // route: show the old one destroyed first, as the kernel would before reusing it.
        const old = e.rt !== undefined ? this.live.get(e.rt) : undefined;
        if (e.rt !== undefined) this.live.set(e.rt, { peer: e.peer, daddr: e.daddr });
        if (old) return out + this.line(`dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${ptr(e.rt)} peer=${ptr(old.peer)} dst=${ip(old.daddr)}`);
        return out;
      }
      default:
        return out;
    }
  }
}
