builtins.path { path = ./data; recursive = false; }
