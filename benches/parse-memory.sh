#!/usr/bin/env bash
# Peak memory (maximum resident set, /usr/bin/time's %M) and time of
# `spindle eval --parse` (parse and compile) on long flat chains of 10^4 to
# 10^6 terms and on nesting 10^5 to 10^7 deep, which must be refused at
# once with "expression nested too deeply for the parser". One process per
# input; prints a Markdown table. The inputs are written to a temporary
# directory and removed afterwards.
#
#   benches/parse-memory.sh [SPINDLE_BINARY]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
spindle="${1:-$here/../target/release/spindle}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# repeat TEXT N: TEXT N times.
repeat() { awk -v t="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'; }

flat() { # NAME FIRST MORE LAST
    for e in 4 5 6; do
        n=$((10 ** e))
        { printf '%s' "$2"; repeat "$3" "$n"; printf '%s' "$4"; } >"$dir/$1$e.nix"
    done
}
deep() { # NAME OPEN MIDDLE CLOSE
    for e in 5 6 7; do
        n=$((10 ** e))
        { repeat "$2" "$n"; printf '%s' "$3"; repeat "$4" "$n"; } >"$dir/$1$e.nix"
    done
}
flat plus 1 ' + 1' ''
flat concat '[]' ' ++ []' ''
flat update '{}' ' // {}' ''
flat select '{ a = 1; }.a' '.a' ''
flat list '[' ' 1' ' ]'
awk 'BEGIN { for (e = 4; e <= 6; e++) { f = "'"$dir"'/set" e ".nix"; printf "{" > f;
     for (i = 0; i < 10 ^ e; i++) printf " a%d = 1;", i > f; print " }" > f } }'
deep paren '(' 1 ')'
deep list-deep '[ ' 1 ' ]'
deep letin 'let a = 1; in ' 1 ''
deep ifthen 'if true then ' 1 ' else 1'
deep lambda 'x: ' 1 ''
deep negate '-' 1 ''
deep interpolation '"${' '1' '}"'

echo "| input | size | exit | time | peak RSS |"
echo "|---|---:|---:|---:|---:|"
for f in plus concat update select list set; do
    for e in 4 5 6; do
        file="$dir/$f$e.nix"
        /usr/bin/time -o "$dir/time" -f '%e %M' "$spindle" eval --parse "$file" >/dev/null
        out="$(tail -1 "$dir/time")"
        set -- $out
        printf '| %s 10^%s | %s B | 0 | %s s | %s MB |\n' "$f" "$e" "$(stat -c %s "$file")" "$1" "$(($2 / 1024))"
    done
done
for f in paren list-deep letin ifthen lambda negate interpolation; do
    for e in 5 6 7; do
        file="$dir/$f$e.nix"
        status=0
        /usr/bin/time -o "$dir/time" -f '%e %M' "$spindle" eval --parse "$file" >/dev/null 2>"$dir/err" || true
        out="$(tail -1 "$dir/time")"
        grep -q "nested too deeply" "$dir/err" || { echo "$f 10^$e: not refused" >&2; status=1; }
        set -- $out
        printf '| %s 10^%s deep | %s B | 1 | %s s | %s MB |\n' "$f" "$e" "$(stat -c %s "$file")" "$1" "$(($2 / 1024))"
        [ "$status" = 0 ] || exit 1
    done
done
