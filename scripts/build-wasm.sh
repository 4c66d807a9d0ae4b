#!/usr/bin/env bash
# Builds the trace reader's compiled line scanner: src/trace/wasm/scan.c -> src/trace/wasm/scan.wasm
# (committed; `npm run build:wasm`). An optional argument writes it elsewhere (the test that
# checks the committed file is what this source builds to).
#
# Reproducible: the same clang gives the same bytes on every run and machine. No debug info,
# and --strip-all drops the name and producers sections (no paths, no compiler version); the
# source is read from stdin so not even its file name reaches the compiler's output.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-src/trace/wasm/scan.wasm}
if ! command -v clang-16 >/dev/null || ! command -v wasm-ld-16 >/dev/null; then
  echo "build-wasm: clang-16 and wasm-ld-16 are needed (Debian packages clang-16 lld-16; scripts/setup.sh installs them)" >&2
  exit 3
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -fuse-ld: clang-16 looks for a plain `wasm-ld`; Debian names it wasm-ld-16.
clang-16 --target=wasm32 -O2 -ffreestanding -nostdlib -fno-ident -msimd128 -mbulk-memory \
  -Wall -Wextra -Werror -fuse-ld="$(command -v wasm-ld-16)" \
  -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=16384 \
  -x c -o "$tmp/scan.wasm" - < src/trace/wasm/scan.c
chmod 644 "$tmp/scan.wasm" # data, not a program
mv "$tmp/scan.wasm" "$out"
# The stamp beside the committed file says what it was built from (the source and this script,
# with its flags) and by which compiler: a test checks the first without a compiler, and
# compares bytes only with the same compiler (another clang build may emit other bytes).
if [ $# -eq 0 ]; then
  {
    echo "source $(sha256sum < src/trace/wasm/scan.c | cut -d' ' -f1)"
    echo "script $(sha256sum < scripts/build-wasm.sh | cut -d' ' -f1)"
    echo "wasm $(sha256sum < "$out" | cut -d' ' -f1)"
    echo "clang $(clang-16 --version | head -1)"
  } > src/trace/wasm/scan.wasm.stamp
fi
echo "build-wasm: $out ($(wc -c < "$out") bytes)" >&2
