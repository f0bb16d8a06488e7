# Without a store, storePath only checks the form of a direct store path.
[
  (builtins.storePath /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo)
  (builtins.storePath "/nix/store/00000000000000000000000000000000-bar-1.0")
  (builtins.storePath "${builtins.toFile "x" "y"}")
]
