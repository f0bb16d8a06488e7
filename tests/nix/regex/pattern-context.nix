builtins.match (builtins.appendContext "x" { "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo" = { path = true; }; }) "x"
