# Nix rejects a float literal that underflows to zero.
[ 1.0 1.0e-400 ]
