builtins.derivationStrict "x"
