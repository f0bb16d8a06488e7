builtins.readFileType "relative/path"
