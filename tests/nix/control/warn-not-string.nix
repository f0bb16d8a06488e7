builtins.warn { } null
