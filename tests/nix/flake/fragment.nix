builtins.parseFlakeRef "nixpkgs#hello"
