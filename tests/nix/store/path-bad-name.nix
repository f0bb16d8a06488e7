builtins.path { path = ./data; name = "a b"; }
