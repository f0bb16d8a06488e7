# A dynamic attribute name may not refer to a store path (Nix 2.8 forces it without context).
{ ${builtins.toFile "a" "x"} = 1; }
