# Sets with type = "derivation" show drvPath and outPath; the attributes of
# each derivation appear only the first time.
let
  drv = {
    type = "derivation";
    drvPath = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv";
    outPath = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x";
    name = "x";
  };
in
builtins.toXML [
  drv
  drv
  { inner = drv; }
  { type = "derivation"; a = 1; }
  { type = "not a derivation"; }
  (drv // { drvPath = "/nix/store/cccccccccccccccccccccccccccccccc-y.drv"; })
]
