# warn (absent from Nix 2.8) shows its message on standard error and
# returns its second argument.
if builtins ? warn then builtins.warn "careful" (1 + 2) == 3 else true
