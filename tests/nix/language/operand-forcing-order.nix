# Nix evaluates an operator's operands, and an interpolation's parts, one
# after the other, each to a value: when the first fails with `throw` and
# the second would abort, the `throw` wins and `tryEval` catches it, even
# when the first is a variable, a call or a builtin's unforced result.
let
  x = throw "x";
  caught = e: (builtins.tryEval e).success;
in
map caught [
  (x + abort "y")
  (((v: v) (throw "x")) + (abort "y"))
  (x == abort "y")
  (x != abort "y")
  (x // abort "y")
  (x ++ abort "y")
  ("${x}${abort "y"}")
  ("a${x}b${toString (abort "y")}")
  (abort "y" > x)
  (abort "y" <= x)
  (x >= abort "y")
  ((builtins.deepSeq "" (throw "x")) * (abort "y"))
  ((builtins.head [ x ]) - abort "y")
  (1 + x + abort "y")
  (x - 1 - abort "y")
  (with { }; x + z)
  (let s = { a = x; }; in s.a / abort "y")
]
