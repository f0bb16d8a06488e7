# Applying the result of a one-argument lambda to a further argument when
# it is not a function.
let
  one = a: a + 1;
in
one 1 2
