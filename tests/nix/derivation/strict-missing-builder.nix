builtins.derivationStrict { name = "foo"; system = "x"; }
