# Nix's `sort` forces every element and then orders the elements themselves,
# not copies of their values, as `filter`, `partition`, `tail` and `++` keep
# theirs: a short list reached twice through one thunk prints `«repeated»`
# the second time, whichever of them made the list holding it.
let
  l = [ 0 ];
  xs = [ l l ];
in
[
  (builtins.sort (a: b: false) xs)
  (builtins.sort (a: b: (_: "") a < (_: "") b) (builtins.attrValues rec { v = [ 1 ]; w = v; }))
  (builtins.sort (a: b: a < b) [ 3 1 2 ])
  (builtins.partition (x: true) xs)
  (builtins.filter (x: true) xs)
  (builtins.tail [ 1 l l ])
]
