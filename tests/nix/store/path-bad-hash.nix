builtins.path { path = ./data; sha256 = "abc"; }
