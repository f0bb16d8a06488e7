# `derivation`: the attribute set users see, built around the two strings
# `derivationStrict` computes (the .drv path and one path per output).
# Every output gets a set of its own that shares all attributes, so that
# `drv.dev`, `drv.out` and `drv.all` work; the first output is the result.
drvAttrs@{ outputs ? [ "out" ], ... }:

let
  strict = builtins.derivationStrict drvAttrs;

  forOutput = outputName: {
    name = outputName;
    value = shared // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };

  perOutput = map forOutput outputs;

  shared = drvAttrs // builtins.listToAttrs perOutput // {
    all = map (output: output.value) perOutput;
    inherit drvAttrs;
  };
in
(builtins.head perOutput).value
