"${./imported.nix}"
