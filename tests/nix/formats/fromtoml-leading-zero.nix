builtins.fromTOML "v = 0123"
