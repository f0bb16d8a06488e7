# Builtin/interpreted sandwiches: functions that re-enter themselves
# through a builtin's callback (foldl', map, sort, genList, mapAttrs), so
# that Nix frames and builtin frames alternate. `n` is the branching depth
# (3^n calls for each); `deep` nests 2,000 levels of builtin callbacks.
{ n ? 9 }:
let
  inherit (builtins) foldl' sort genList mapAttrs attrValues concatLists head length;
  sum = foldl' (a: b: a + b) 0;
  viaFoldl = d: if d == 0 then 1 else foldl' (acc: x: acc + x * viaFoldl (d - 1)) 0 [ 1 2 3 ];
  viaMap = d: if d == 0 then 1 else sum (map (x: x + viaMap (d - 1)) [ 1 2 3 ]);
  viaGenList = d: if d == 0 then [ 1 ] else concatLists (genList (i: viaGenList (d - 1)) 3);
  viaMapAttrs = d:
    if d == 0 then 1
    else sum (attrValues (mapAttrs (k: v: v + viaMapAttrs (d - 1)) { a = 1; b = 2; c = 3; }));
  # The comparator's answer does not depend on the recursion, so the result
  # is the same whatever comparisons a sort algorithm makes.
  viaSort = d:
    if d == 0 then 1
    else head (sort (a: b: viaSort (d - 1) > 0 && a < b) [ 3 1 2 ]) + viaSort (d - 1);
  deep = d: if d == 0 then 0 else head (map (x: x + deep (d - 1)) [ 1 ]);
  deepFold = d: if d == 0 then 0 else foldl' (acc: x: acc + x + deepFold (d - 1)) 0 [ 1 ];
in
{
  foldl = viaFoldl n;
  map = viaMap n;
  genList = length (viaGenList n);
  mapAttrs = viaMapAttrs n;
  sort = viaSort (n - 2);
  deep = sum (genList (i: deep 2000 + deepFold 2000) (n * 4));
}
