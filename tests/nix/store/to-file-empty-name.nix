builtins.toFile "" "x"
