builtins.path { path = ./no-such-file; }
