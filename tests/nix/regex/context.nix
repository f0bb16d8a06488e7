# Results of match and split carry no context, except a split without
# matches, which returns its argument unchanged.
let
  s = builtins.appendContext "a-b" {
    "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo" = {
      path = true;
    };
  };
in
[
  (builtins.match "(.*)-(.*)" s)
  (map (x: if builtins.isString x then builtins.hasContext x else x) (builtins.split "(-)" s))
  (builtins.hasContext (builtins.head (builtins.split "x" s)))
]
