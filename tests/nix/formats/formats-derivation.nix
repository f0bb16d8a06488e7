# A real derivation: toXML shows it once with its paths, toJSON as its outPath.
let
  d = derivation {
    name = "x";
    builder = "/bin/sh";
    system = "x86_64-linux";
  };
in
[
  (builtins.toXML [ d d ])
  (builtins.toJSON d)
  (builtins.toJSON { inherit d; })
]
