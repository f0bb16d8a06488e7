builtins.path { path = ./data; filter = p: t: "yes"; }
