(derivation { name = "foo"; system = "x"; builder = "/bin/sh"; }).dev
