builtins.toJSON [ builtins.map ]
