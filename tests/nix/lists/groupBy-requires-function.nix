builtins.groupBy null [ ]
