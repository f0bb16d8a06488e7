let
  strings = [
    ""
    "abc"
    "é\n"
    (builtins.appendContext "ctx" {
      "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo" = {
        path = true;
      };
    })
  ];
in
map (algo: map (builtins.hashString algo) strings) [
  "md5"
  "sha1"
  "sha256"
  "sha512"
]
