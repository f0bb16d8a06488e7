builtins.derivationStrict { name = "foo.drv"; system = "x"; builder = "/bin/sh"; }
