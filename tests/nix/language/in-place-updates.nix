# `++` and `//` update an operand in place when nothing else refers to it
# (an accumulator, a fresh list, a set being built); a value that is
# shared must keep its elements and attributes whoever updates it.
let
  inherit (builtins) foldl' genList attrNames;
  shared = [ 1 2 ];
  left = shared ++ [ 3 ];
  right = [ 0 ] ++ shared;
  both = shared ++ shared;
  grow = foldl' (acc: x: acc ++ [ x ]) [ ] (genList (i: i) 6);
  # The accumulator escapes into every step's result as well.
  kept = foldl' (acc: x: { prev = acc; list = acc.list ++ [ x ]; }) { list = [ ]; } [ 1 2 3 ];
  prepend = n: if n == 0 then [ ] else [ n ] ++ prepend (n - 1);
  set = { a = 1; c = 3; };
  updated = set // { b = 2; };
  overwritten = set // { a = 10; };
  acc = foldl' (s: x: s // { ${toString x} = x; a = x; }) { z = 0; } [ 3 1 2 ];
  # The same local read twice is copied, not moved.
  twice = x: [ (x ++ [ 9 ]) x ];
  # Read once, but in a function body run many times.
  once = x: x ++ [ 1 ];
  dynamic = n: { ${"k${toString n}"} = n; fixed = true; };
in
{
  inherit shared left right both grow set updated overwritten acc;
  prepend = prepend 4;
  kept = [ kept.list kept.prev.list kept.prev.prev.list ];
  twice = twice [ 8 ];
  once = [ (once [ 0 ]) (once [ 0 ]) (once shared) shared ];
  dynamic = [ (dynamic 1) (dynamic 2) ];
  names = attrNames acc;
  letOnce = let xs = [ 5 ]; ys = xs ++ [ 6 ]; in [ ys xs ];
}
