builtins.partition null [ ]
