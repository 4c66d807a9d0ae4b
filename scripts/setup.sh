#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine for peerprop (run as root, or with sudo):
# Node dependencies from the lock file, and the Debian packages the QEMU harness,
# the in-VM workload and the kernel-tree scans need. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

DEBS=(
  qemu-system-x86 busybox-static   # the conformance harness: QEMU (TCG) and the guest's userland
  gcc libc6-dev                    # the in-VM TUN workload, built with gcc -static
  bpftool lz4 zstd xz-utils        # BTF of the kernels under test (vmlinux extracted from the bzImage)
  dwarves musl-tools               # seed-era kernels: pahole encodes their DWARF as BTF; the workload built with musl for them (glibc 2.36 is built for kernels >= 3.2)
  bzip2                            # compressed traces (replay decodes xz, zstd, lz4, bzip2 with Debian's tools)
  mawk                             # `bench -- trace` compares the reader with a mawk one-liner on the same file
  clang-16 lld-16                  # the trace reader's compiled scanner: `npm run build:wasm` (a test checks the committed .wasm is what its C source builds to)
  bpftrace                         # dry-run compile of the generated bpftrace scripts
  cpio kmod                        # initramfs inspection, modinfo
  linux-source-6.1                 # a real modern tree for `peerprop scan` and `conform --tree`
  make bc bison flex libelf-dev libssl-dev   # building a small test kernel from that tree
  ccache                           # incremental rebuilds of test kernels (`kernel build`, `conform --git`)
  git ca-certificates
  chromium                         # the HTML report's tests open it in a real browser (playwright-core drives it)
  trace-cmd                        # replay reads trace.dat files through `trace-cmd report` (and the printer tests)
  linux-perf                       # replay reads perf.data files through `perf script` (and the printer tests)
)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Unpack Debian's 6.1 source once, where `peerprop scan /usr/src/linux-source-6.1` expects it.
if [ ! -f /usr/src/linux-source-6.1/net/ipv4/route.c ]; then
  tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1 || true)
  if [ -n "$tarball" ]; then
    echo "setup: unpacking $tarball" >&2
    $SUDO tar -C /usr/src -xf "$tarball"
  fi
fi

npm ci --no-audit --no-fund
