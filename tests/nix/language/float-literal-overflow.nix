# Nix rejects a float literal that overflows (strtod reports a range error).
1.0e400
