builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; outputs = [ "out" "out" ]; }
