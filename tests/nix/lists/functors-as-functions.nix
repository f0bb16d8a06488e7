# A set with __functor is accepted wherever a builtin requires a function.
let
  lt = { __functor = self: a: b: a < b; };
  add = { __functor = self: a: b: a + b; };
  even = { __functor = self: x: builtins.bitAnd x 1 == 0; };
in
[
  (builtins.sort lt [ 3 1 2 ])
  (builtins.foldl' add 0 [ 1 2 3 ])
  (builtins.any even [ 1 3 ])
  (builtins.all even [ ])
  (builtins.partition even [ 1 2 3 4 ])
  (builtins.concatMap { __functor = self: x: [ x x ]; } [ 1 2 ])
  (builtins.groupBy { __functor = self: x: if even x then "even" else "odd"; } [ 1 2 3 ])
  (builtins.zipAttrsWith { __functor = self: n: vs: vs; } [ { a = 1; } { a = 2; } ])
]
