# A name whose context was discarded is an ordinary name, in the syntax and in builtins.
let
  s = builtins.unsafeDiscardStringContext (builtins.toFile "a" "x");
  set = { ${s} = 1; };
in
[ set.${s} (set ? ${s}) (builtins.getAttr s set) (builtins.attrNames (builtins.listToAttrs [ { name = s; value = 2; } ])) ]
