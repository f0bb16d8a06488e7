builtins.all null [ ]
