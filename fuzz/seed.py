#!/usr/bin/env python3
"""Builds the scratch seed corpora for the fuzz targets, outside the
repository (the seeds come from ../shared and must never be committed).

    python3 fuzz/seed.py [OUT]     # OUT defaults to /tmp/spindle-fuzz-seeds

Seeds: every .nix file of the project's cases (tests/nix), the Nix language
suite and the Nixpkgs library for `parse`, `eval` and `serde` (whose first
byte 1 picks the program direction); the TOML texts and the patterns and
subjects of `match`/`split` found in those files for `from_toml` and
`regex`; the language suite's results as `--json` prints them (with the
release `spindle` binary) for `from_json`. `store` starts empty.
"""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_SUITE = Path(os.environ.get("SPINDLE_LANG_TESTS", REPO.parent / "shared/nix-lang-tests"))
SHARED_LIB = Path(os.environ.get("SPINDLE_NIXPKGS_LIB", REPO.parent / "shared/nixpkgs-lib"))
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/spindle-fuzz-seeds")

NIX_STRING = r'"((?:[^"\\]|\\.)*)"'
ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def unescape(s):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), s, flags=re.S)


def save(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def nix_files():
    roots = [REPO / "tests/nix", SHARED_SUITE / "lang", SHARED_LIB]
    for root in roots:
        yield from sorted(p for p in root.rglob("*.nix") if p.is_file() and not p.is_symlink())


def main():
    for path in nix_files():
        data = path.read_bytes()
        save("parse", data)
        save("eval", data)
        save("serde", b"\x01" + data)
        text = data.decode("utf-8", "replace")
        if "fromTOML" in text:
            for m in re.finditer(r"''(.*?)''", text, re.S):
                save("from_toml", m.group(1).encode())
        for m in re.finditer(r"(?:match|split)\s+" + NIX_STRING + r"\s+" + NIX_STRING, text):
            save("regex", unescape(m.group(1)).encode() + b"\0" + unescape(m.group(2)).encode())
    spindle = REPO / "target/release/spindle"
    for path in sorted((SHARED_SUITE / "lang").glob("eval-okay-*.nix")):
        try:
            out = subprocess.run(
                [spindle, "eval", "--strict", "--json", path],
                capture_output=True, timeout=10, cwd=SHARED_SUITE,
            )
        except subprocess.TimeoutExpired:
            continue
        if out.returncode == 0 and out.stdout.strip():
            save("from_json", out.stdout)
    (OUT / "store").mkdir(parents=True, exist_ok=True)
    for target in sorted(os.listdir(OUT)):
        print(target, len(os.listdir(OUT / target)))


main()
