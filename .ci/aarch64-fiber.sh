#!/usr/bin/env bash
# Cross-builds spindle-fiber for aarch64 and runs its test suite under user-mode
# qemu. Idempotent: installs the cross toolchain, qemu and the Rust target only when
# they are missing. Extra arguments go to `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/.."

need_apt=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || need_apt+=(libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user-static)
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}"
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu"

cargo test -p spindle-fiber --target aarch64-unknown-linux-gnu "$@"
