#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind, `Ir`) of each corpus program on
# the fiber VM, the generator VM and nix-instantiate, at the small sizes of
# benches/nix/corpus.txt. Unlike times, these barely move on a noisy shared
# machine. Prints a Markdown table; the first row is start-up alone
# (evaluating `null`), which every other row includes.
#
#   benches/instructions.sh [SPINDLE_BINARY] [PROGRAM…]
#
# Needs valgrind; nix-instantiate is optional. Build spindle first with
# `cargo build --profile dist` (the optimised build the benchmarks use).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
spindle="${1:-$here/../target/dist/spindle}"
shift || true
corpus="$here/nix"
only=("$@")
have_nix=0
command -v nix-instantiate >/dev/null && have_nix=1
# The Nixpkgs library, for the programs marked `lib` in corpus.txt.
lib_dir="${SPINDLE_NIXPKGS_LIB:-$here/../../shared/nixpkgs-lib}"

# Ir of one command, in millions.
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p' |
        awk '{ printf "%.1f", $1 / 1e6 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# The ratio of evaluation alone: start-up counts subtracted from both sides.
net_ratio() {
    awk -v a="$1" -v a0="$2" -v b="$3" -v b0="$4" \
        'BEGIN { if (b != "-" && b - b0 > 0) printf "%.2f", (a - a0) / (b - b0); else print "-" }'
}

echo "| program | n | fiber MIr | generator MIr | nix MIr | fiber/generator | fiber/nix | fiber/nix, start-up subtracted |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
f0=$(count "$spindle" eval --vm fiber -E null)
g0=$(count "$spindle" eval --vm generator -E null)
x0="-"
[ $have_nix = 1 ] && x0=$(count nix-instantiate --eval -E null)
echo "| (start-up) | - | $f0 | $g0 | $x0 | $(ratio "$f0" "$g0") | $(ratio "$f0" "$x0") | - |"
grep -v '^#' "$corpus/corpus.txt" | while read -r name n nix lib _; do
    [ -z "$name" ] && continue
    if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
    file="$corpus/$name.nix"
    args=(--strict "$file" --arg n "$n")
    if [ "$lib" = yes ]; then
        if [ ! -f "$lib_dir/lib/default.nix" ]; then
            echo "note: $name left out: set SPINDLE_NIXPKGS_LIB to the Nixpkgs library" >&2
            continue
        fi
        args+=(-I "nixpkgs-lib=$lib_dir")
    fi
    f=$(count "$spindle" eval --vm fiber "${args[@]}")
    g=$(count "$spindle" eval --vm generator "${args[@]}")
    x="-"
    if [ $have_nix = 1 ] && [ "$nix" = yes ]; then
        x=$(count nix-instantiate --eval "${args[@]}")
    fi
    echo "| $name | $n | $f | $g | $x | $(ratio "$f" "$g") | $(ratio "$f" "$x") | $(net_ratio "$f" "$f0" "$x" "$x0") |"
done
