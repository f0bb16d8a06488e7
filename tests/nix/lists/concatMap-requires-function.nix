builtins.concatMap null [ ]
