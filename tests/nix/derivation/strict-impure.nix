builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; __impure = true; }
