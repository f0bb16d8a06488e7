# A derivation's environment and arguments are bytes, as in Nix: a value
# that is not UTF-8 (here the three bytes of "€", split apart) is written
# into the derivation as it is, and gives Nix's paths.
let
  d = derivation {
    name = "bytes";
    system = "x86_64-linux";
    builder = "/bin/sh";
    split = builtins.filter builtins.isString (builtins.split "" "€");
    args = [ (builtins.substring 0 1 "é") "\n\t\"\\" ];
  };
in
[ d.drvPath d.outPath (builtins.lessThan "" "${d}") ]
