# A document may be a bare scalar.
map builtins.fromJSON [ "1" " -2.5 " "true" "null" ''"s"'' "[]" ]
