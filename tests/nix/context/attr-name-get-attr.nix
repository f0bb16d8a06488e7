# getAttr: a name that refers to a store path fails, even on a set that has it.
let s = builtins.toFile "a" "x"; in builtins.getAttr s { ${builtins.unsafeDiscardStringContext s} = 1; }
