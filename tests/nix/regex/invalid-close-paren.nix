builtins.split "a)" "a)"
