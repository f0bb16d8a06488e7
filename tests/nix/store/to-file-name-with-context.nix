builtins.toFile "${builtins.toFile "n" "m"}" "x"
