# Nix rejects a float literal that underflows to a subnormal number.
2.225e-308
