# A thunk of one division whose operands are known numbers is computed
# when made, but only when that cannot fail: division by zero is still an
# error, raised when the quotient is forced.
let
  n = 7;
  z = 0;
  xs = [ (n / z) 1 ];
in
builtins.elemAt xs 1 + builtins.elemAt xs 0
