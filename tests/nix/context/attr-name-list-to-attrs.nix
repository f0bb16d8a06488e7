# listToAttrs: a name that refers to a store path fails.
builtins.listToAttrs [ { name = builtins.toFile "a" "x"; value = 1; } ]
