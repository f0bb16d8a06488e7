builtins.path { path = ./data/hello.txt; recursive = false; sha256 = "0000000000000000000000000000000000000000000000000000"; }
