# Nix reads `a > b` as `b < a` and `a <= b` as `!(b < a)`, so their right
# operand is evaluated first; `<` and `>=` evaluate the left one first. Only
# a `throw` evaluated first is caught: an `abort` evaluated first ends it all.
[
  (builtins.tryEval ((abort "left") > (throw "right"))).success
  (builtins.tryEval ((abort "left") <= (throw "right"))).success
  (builtins.tryEval ((throw "left") < (abort "right"))).success
  (builtins.tryEval ((throw "left") >= (abort "right"))).success
  (1 > 2) (2 > 1) (1 <= 1) (2 <= 1) (1 >= 2) (1 < 2)
  ([ 1 2 ] > [ 1 ]) ("a" <= "b") (1.5 > 1) (1 <= 0.5)
]
