builtins.derivationStrict { name = "foo"; system = "x"; builder = "/bin/sh"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; outputs = [ "out" "dev" ]; }
