import ./imported.nix
