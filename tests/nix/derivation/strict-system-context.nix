builtins.derivationStrict { name = "foo"; builder = "/bin/sh"; __structuredAttrs = true; system = "${builtins.toFile "s" "t"}"; }
