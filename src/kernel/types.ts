/**
 * What the harness knows about a kernel it will boot or probe.
 * Produced by resolveKernel() (src/kernel/index.ts); consumed by the QEMU harness
 * (vmlinuz, tun module), the BTF reader (btf) and the probe generator.
 */

/** `debian` (linux-image-cloud-amd64, 6.1), `debian-6.12` (linux-image-6.12-cloud-amd64), `debian-rt`
 * (linux-image-rt-amd64, 6.1 PREEMPT_RT), or a path. */
export type KernelSpec = 'debian' | 'debian-6.12' | 'debian-rt' | (string & {});

/** Where the kernel's type information (struct offsets, prototypes) comes from. */
export type BtfSource =
  /** The .BTF section of the vmlinux decompressed out of `image` (a bzImage). */
  | { kind: 'bzimage'; image: string }
  /** An uncompressed vmlinux ELF with a .BTF section (or DWARF, see `dwarf`). */
  | { kind: 'vmlinux'; path: string }
  /** A raw BTF blob (e.g. a copy of a guest's /sys/kernel/btf/vmlinux). */
  | { kind: 'raw'; path: string }
  /** A vmlinux with DWARF only (self-built, CONFIG_DEBUG_INFO=y, no BTF): read through gdb. */
  | { kind: 'dwarf'; path: string }
  /** Nothing known; probes that need offsets are reported as not observable. */
  | { kind: 'none'; reason: string };

export interface DebianPackage {
  /** The metapackage asked for: linux-image-cloud-amd64 / linux-image-6.12-cloud-amd64. */
  metapackage: string;
  /** The real image package it depends on: linux-image-6.1.0-56-cloud-amd64. */
  name: string;
  /** Its Debian version: 6.1.192-2. */
  version: string;
}

export interface KernelInfo {
  /** The spec the user gave (`debian`, `debian-6.12`, `debian-rt`, or the path as given). */
  spec: string;
  origin: 'debian' | 'path';
  /** Debian package it came from (origin 'debian'). */
  package?: DebianPackage;
  /** `uname -r`: 6.1.0-56-cloud-amd64 / 6.12.117+deb12-cloud-amd64 / 3.0.1. */
  release: string;
  /** The image's full version banner ("6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ... Debian 6.1.192-2 (...)"). */
  banner: string;
  /** Upstream version numbers [major, minor, patch]: from the Debian banner ("Debian 6.1.192-2") if present, else from release. */
  version: [number, number, number];
  /** Absolute path of the bootable image (bzImage / vmlinuz). */
  vmlinuz: string;
  /** Root of the unpacked package (origin 'debian'). */
  root?: string;
  /** lib/modules/<release> directory, when known. */
  modulesDir?: string;
  /** tun module (tun.ko, tun.ko.xz, tun.ko.zst ...), when shipped as a module. Undefined if built in or unknown. */
  tunModule?: string;
  /** The kernel's .config (boot/config-<release>), when known. */
  config?: string;
  /** Where types come from. */
  btf: BtfSource;
  /** The build's System.map (self-built kernels): symbols and their sections, for the era and inlining. */
  systemMap?: string;
  /** Set when this call downloaded and unpacked the package (not from the cache). */
  fetched?: { downloadMs: number; unpackMs: number };
  /** The cache root this kernel was resolved against (derived files that outlive workDir: BTF by vmlinux hash). */
  cacheRoot?: string;
  /** A directory (next to the unpacked kernel, or in the cache for a user's path) for derived files: vmlinux, types JSON. */
  workDir: string;
}

export interface ResolveKernelOptions {
  /** Cache root; default $PEERPROP_CACHE or ${XDG_CACHE_HOME:-~/.cache}/peerprop. Kernels go to <cache>/kernels/. */
  cacheDir?: string;
  /** For a path spec: the modules directory (lib/modules/<release>, or a dir containing tun.ko). */
  modulesDir?: string;
  /** For a path spec: a vmlinux (with BTF or DWARF), or a raw BTF blob (a copy of /sys/kernel/btf/vmlinux), to take types from. */
  vmlinux?: string;
  /** Never touch the network / apt: only a cached copy (envMissing if none). */
  offline?: boolean;
  /**
   * Use the newest cached copy of a named Debian kernel without asking apt for the current
   * version (saves ~0.8 s of apt-cache); apt is asked only when nothing is cached.
   */
  preferCache?: boolean;
  /** Progress lines (stderr logger); default: src/core/log.ts. */
  log?: (line: string) => void;
}
