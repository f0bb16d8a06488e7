# A curried lambda in the body of a curried lambda, reading the outer
# lambda's first argument: when the outer one runs its fused code, the inner
# one is made from a relocated copy of its code, and its own fused code must
# run with the values that copy captures. (Minimised from a program of the
# bytecode invariants test, the last binding.)
let
  outer = a: b: (x: y: [ a b x y ]);
  order = ascending: _: (x: y: if ascending then x < y else x > y);
  deeper = a: b: c: (x: y: z: a + b * 10 + c * 100 + x * 1000 + y * 10000 + z * 100000);
in
{
  atOnce = outer 1 2 3 4;
  twoByTwo = (outer 1 2) 3 4;
  oneByOne = ((((outer 1) 2) 3) 4);
  folded = builtins.foldl' (outer 1 2) 0 [ 5 6 ];
  sorted = builtins.sort (order false null) [ 3 1 2 ];
  sixArguments = deeper 1 2 3 4 5 6;
  generated = builtins.filter ((v0: v1: (builtins.zipAttrsWith (v2: v3: v0) [ ]) ? a.Z) "") [ ];
}
