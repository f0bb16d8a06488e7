# String operations keep the context of what they were built from.
with builtins;
let
  s = appendContext "abc" {
    "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-src" = {
      path = true;
    };
  };
  has = x: hasContext x;
in
[
  (has (substring 0 0 s))
  (has (substring 1 1 s))
  (has (concatStringsSep s [ "x" "y" ]))
  (has (concatStringsSep "," [ "x" s ]))
  (has (concatStringsSep s [ ]))
  (has (toString [ s ]))
  (has "${s}")
  (has ("x" + s))
  (has (s + "x"))
  (has (baseNameOf s))
  (has (dirOf s))
  (stringLength s)
  (has (replaceStrings [ "b" ] [ "B" ] s))
]
