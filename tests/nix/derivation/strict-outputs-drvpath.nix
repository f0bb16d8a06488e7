# Nix 2.8 accepted this and returned two drvPath attributes; later Nix
# versions (and the upstream suite) reject the name.
builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; outputs = "out drvPath"; }
