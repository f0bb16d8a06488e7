builtins.fromTOML [ ]
