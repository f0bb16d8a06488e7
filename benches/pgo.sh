#!/usr/bin/env bash
# Builds `target/pgo/dist/spindle`: the dist profile (fat LTO) compiled a
# second time with a profile of where the first build spent its time
# (profile-guided optimisation). The training runs are the language suite,
# the project's own Nix cases and the Nixpkgs library's module tests, on
# both VMs; never the benchmark corpus (benches/nix), nor the two library
# test files its `lib_tests` program evaluates, so that the benchmark
# measures code the profile has not seen.
#
#   benches/pgo.sh                     # ~12 minutes on 2 cores
#   target/dist/spindle-bench --spindle target/pgo/dist/spindle --rounds 6 --metric cpu
#
# Needs `llvm-profdata` of the toolchain's LLVM (rustup's llvm-tools
# component, added here when missing). The data folders are found as the
# tests find them: SPINDLE_LANG_TESTS, SPINDLE_NIXPKGS_LIB or ../shared.
# CARGO names the cargo command (for example one behind a lock).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
lang_tests=$(cd "${SPINDLE_LANG_TESTS:-../shared/nix-lang-tests}" && pwd)
nixpkgs_lib=$(cd "${SPINDLE_NIXPKGS_LIB:-../shared/nixpkgs-lib}" && pwd)

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
    rustup component add llvm-tools
fi

profiles="$root/target/pgo-profiles"
rm -rf "$profiles"
mkdir -p "$profiles"

echo "== instrumented build"
RUSTFLAGS="-Cprofile-generate=$profiles" \
    ${CARGO:-cargo} build --profile dist --bin spindle --target-dir target/pgo-generate
trainee="$root/target/pgo-generate/dist/spindle"

scratch=$(mktemp -d)
cleanup() {
    chmod -R u+w "$scratch" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

echo "== training: the language suite and the project's cases, both VMs"
for vm in fiber generator; do
    (
        cd "$lang_tests"
        for test in lang/eval-okay-*.nix; do
            timeout 20 "$trainee" --vm "$vm" eval --strict -I lang/dir3 -I lang/dir4 \
                "$test" >/dev/null 2>&1 || true
        done
    )
    for case in tests/nix/*/*.nix; do
        timeout 20 "$trainee" --vm "$vm" eval --strict "$case" >/dev/null 2>&1 || true
    done
done

echo "== training: the Nixpkgs library's module tests (modules.sh) and path tests"
mkdir -p "$scratch/bin"
ln -s "$trainee" "$scratch/bin/nix-instantiate"
(
    cd "$nixpkgs_lib/lib/tests"
    export PATH="$scratch/bin:$PATH" TMPDIR="$scratch" TEST_ROOT="$scratch/root"
    export NIX_STORE_DIR="$scratch/root/store" NIX_STATE_DIR="$scratch/root/var" \
        NIX_LOG_DIR="$scratch/root/log" NIX_CONF_DIR="$scratch/root/etc"
    unset NIX_PATH NIX_ABORT_ON_WARN
    bash modules.sh >/dev/null 2>&1 || true
    "$trainee" eval --strict --argstr libpath "$nixpkgs_lib/lib" \
        ../path/tests/unit.nix >/dev/null 2>&1 || true
    "$trainee" eval --strict fetchers.nix >/dev/null 2>&1 || true
)

"$profdata" merge -o "$profiles/merged.profdata" "$profiles"/*.profraw

echo "== optimised build"
RUSTFLAGS="-Cprofile-use=$profiles/merged.profdata" \
    ${CARGO:-cargo} build --profile dist --bin spindle --target-dir target/pgo
echo "built target/pgo/dist/spindle"
