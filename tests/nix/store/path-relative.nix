builtins.path { path = "data"; }
