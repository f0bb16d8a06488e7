# `-x` is `0 - x`: negating a float zero gives 0.0, not -0.0.
let z = 0.0; in [ (-z) (-(-z)) (-1.5) (z * -1) (builtins.toJSON (-z)) (toString (-z)) ]
