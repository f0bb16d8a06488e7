# Selecting with a dynamic name that refers to a store path fails, even with `or`.
{ a = 1; }.${builtins.toFile "a" "x"} or 2
