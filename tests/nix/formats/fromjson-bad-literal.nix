builtins.fromJSON "{\"a\": nul}"
