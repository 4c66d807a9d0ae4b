/**
 * The real Debian kernels, fetched once per machine through our own acquisition code
 * (apt-get download + dpkg-deb -x into the peerprop cache). Shared by the kernel, BTF and probe tests.
 */
import { resolveKernel, type KernelInfo } from '../../src/kernel/index.ts';

const cache = new Map<string, Promise<KernelInfo>>();

export function realKernel(spec: 'debian' | 'debian-6.12' | 'debian-rt'): Promise<KernelInfo> {
  let p = cache.get(spec);
  if (!p) {
    p = resolveKernel(spec, { log: () => {} });
    cache.set(spec, p);
  }
  return p;
}

/** Offsets measured in ../shared/reference/qemu-kernels.md, by release. */
export const MEASURED: Record<string, Record<string, number>> = {
  '6.1.0-56-cloud-amd64': {
    'rtable.rt_genid': 0x70, 'rtable.rt_flags': 0x74, 'rtable.rt_gw4': 0x84, 'rtable.rt_pmtu': 0x94,
    'dst_entry.obsolete': 0x3a, 'net_device.nd_net': 0x500, 'net.ipv4.rt_genid': 0x58c, 'net.fnhe_genid': 0x18,
    'sock.sk_dst_cache': 0x140, 'fib_nh_exception.fnhe_genid': 0x8, 'fib_nh_exception.fnhe_daddr': 0xc,
    'fib_nh_exception.fnhe_pmtu': 0x10, 'fib_nh_exception.fnhe_gw': 0x18,
  },
  '6.12.117+deb12-cloud-amd64': {
    'rtable.rt_genid': 0x88, 'rtable.rt_flags': 0x8c, 'rtable.rt_gw4': 0x9c, 'rtable.rt_pmtu': 0xac,
    'dst_entry.obsolete': 0x3a, 'net_device.nd_net': 0x118, 'net.ipv4.rt_genid': 0x5e4, 'net.fnhe_genid': 0x14,
    'sock.sk_dst_cache': 0x210, 'fib_nh_exception.fnhe_genid': 0x8, 'fib_nh_exception.fnhe_daddr': 0xc,
    'fib_nh_exception.fnhe_pmtu': 0x10, 'fib_nh_exception.fnhe_gw': 0x18,
  },
};
