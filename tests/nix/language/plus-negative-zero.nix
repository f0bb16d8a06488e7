# The `+` operator sums its operands onto 0.0 in Nix, so two negative zeros
# add up to 0; `builtins.add`, `-` and `*` keep IEEE's -0.
let z = 0.0 * (-1); in
[
  (z + z)
  (z + z + z)
  (z + 0)
  (0 + z)
  (builtins.foldl' (a: b: a + b) z [ z ])
  (builtins.add z z)
  (builtins.foldl' builtins.add z [ z ])
  (z - 0.0)
  (z * 1)
  z
]
