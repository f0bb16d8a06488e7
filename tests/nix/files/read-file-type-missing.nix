builtins.readFileType ./does-not-exist
