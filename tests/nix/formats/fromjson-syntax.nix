builtins.fromJSON "{\"a\": [1, 2,]}"
