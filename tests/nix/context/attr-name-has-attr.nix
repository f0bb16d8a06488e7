# `?` with a dynamic name that refers to a store path fails.
{ a = 1; } ? ${builtins.toFile "a" "x"}
