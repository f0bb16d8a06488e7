derivation 1
