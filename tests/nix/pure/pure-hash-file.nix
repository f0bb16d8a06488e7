builtins.hashFile "sha256" ./imported.nix
