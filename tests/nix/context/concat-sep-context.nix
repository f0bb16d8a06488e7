# concatStringsSep keeps the separator's context even when the list is empty or has one element.
[
  (builtins.getContext (builtins.concatStringsSep (builtins.toFile "a" "x") [ ]))
  (builtins.getContext (builtins.concatStringsSep (builtins.toFile "b" "y") [ "z" ]))
]
