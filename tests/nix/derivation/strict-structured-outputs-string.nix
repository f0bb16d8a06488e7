builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; __structuredAttrs = true; outputs = "out"; }
