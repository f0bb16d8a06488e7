builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; args = "-c"; }
