builtins.fromTOML "v = -0x1"
