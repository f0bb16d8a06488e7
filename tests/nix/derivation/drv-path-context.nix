# A whole derivation in the context (its drvPath) brings its closure in:
# every output of every derivation it depends on, and their sources.
let
  leaf = derivation {
    name = "leaf";
    system = "x";
    builder = "/bin/sh";
    outputs = [ "out" "bin" ];
    src = builtins.toFile "leaf-src" "leaf";
  };
  mid = derivation {
    name = "mid";
    system = "x";
    builder = "/bin/sh";
    leaf = leaf.bin;
  };
  top = derivation {
    name = "top";
    system = "x";
    builder = "/bin/sh";
    closure = mid.drvPath;
  };
in
[ top.drvPath top.outPath ]
