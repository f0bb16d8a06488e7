builtins.derivationStrict { name = "foo"; builder = "/bin/sh"; system = { }; }
