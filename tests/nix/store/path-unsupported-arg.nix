builtins.path { path = ./data; foo = 1; }
