#!/usr/bin/env bash
# Cross-builds Spindle for aarch64 and runs, under user-mode qemu, the fiber
# runtime's tests and the evaluator's own suites: the Nix language suite, the
# project's Nix cases (on the fiber VM), the embedding tests and the depth
# stress families at 10^5. Idempotent: installs the cross toolchain, qemu and
# the Rust target only when they are missing. Extra arguments go to
# `cargo test`.
#
# The evaluator's tests start the `spindle` binary as a child process, so the
# kernel must run aarch64 executables itself: this registers qemu with
# binfmt_misc (as root), and the test build is linked statically, because
# the language suite runs the binary in a cleared environment where qemu
# cannot be told where the aarch64 libraries are.
set -euo pipefail

cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need_apt=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || need_apt+=(libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user-static)
if [ ${#need_apt[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}"
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu
fi

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
    $sudo mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    $sudo sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf > $binfmt/register"
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
# qemu-user ignores MADV_DONTNEED, so the resident size it reports never
# falls when memory is freed, and the default heap cap (measured from it)
# would stop the deep stress families that fit; lift it here.
export SPINDLE_MAX_HEAP=0
target=(--target aarch64-unknown-linux-gnu)

echo "== aarch64: fiber runtime"
cargo test -p spindle-fiber "${target[@]}" "$@"
echo "== aarch64: evaluator (language suite, Nix cases, embedding, stress at 10^5)"
# The generator VM's Nix cases are left to x86_64, as that VM has no code of
# its own for either architecture: qemu is slow, and CI is to stay within
# half an hour on two cores.
SPINDLE_STRESS_DEPTH=100000 cargo test -p spindle "${target[@]}" "$@" \
    --test lang_suite --test nix_cases --test embedding --test stress --test cycles \
    -- --skip nix_cases_generator_vm
