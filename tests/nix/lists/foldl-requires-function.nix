builtins.foldl' null 0 [ ]
