# Inputs come from the strings' context: outputs of other derivations,
# source files copied to the store, and toFile texts.
let
  base = derivation {
    name = "base";
    system = "x86_64-linux";
    builder = "/bin/sh";
    outputs = [ "out" "dev" ];
  };
  script = builtins.toFile "build.sh" "cp ${./src.txt} $out";
  top = derivation {
    name = "top";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-e" script ];
    src = ./src.txt;
    deps = [ base base.dev ];
    flags = [ 1 2.5 true false null [ ] "x" [ "y" [ ] "z" ] ];
    stringy = { __toString = self: "to-string ${base}"; };
    outPathy = { outPath = ./src.txt; };
  };
  again = derivation {
    name = "again";
    system = "x86_64-linux";
    builder = "${top}/bin/sh";
  };
in
[
  top.drvPath
  top.outPath
  again.drvPath
  again.outPath
  (top.drvPath == (derivation top.drvAttrs).drvPath)
]
