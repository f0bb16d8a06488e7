# Every output has its own set sharing the attributes; the first is the result.
let
  drv = derivation {
    name = "multi";
    system = "x86_64-linux";
    builder = "/bin/sh";
    outputs = [ "lib" "out" "dev" ];
  };
in
[
  drv.outputName
  drv.outPath
  drv.dev.outPath
  drv.out.outPath
  drv.lib.drvPath
  (map (o: o.outputName) drv.all)
  (drv.dev.lib.out.outPath == drv.out.outPath)
  (builtins.attrNames drv)
  drv.type
  "${drv}"
  "${drv.dev}"
  (builtins.derivationStrict drv.drvAttrs)
  drv.drvAttrs
]
