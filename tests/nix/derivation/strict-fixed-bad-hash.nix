builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; outputHash = "abc"; outputHashAlgo = "sha256"; }
