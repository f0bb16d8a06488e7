builtins.split 1 "a"
