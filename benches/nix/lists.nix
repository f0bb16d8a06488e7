# List pipelines: genList, map, filter, foldl', concatMap, elemAt,
# partition, all/any, over lists of `n` elements.
{ n ? 200000 }:
let
  inherit (builtins) genList filter foldl' length elemAt concatMap partition all any;
  sum = foldl' (a: b: a + b) 0;
  xs = genList (i: i * 7 - (i / 13) * 91) n;
  squares = map (x: x * x) xs;
  evens = filter (x: x / 2 * 2 == x) squares;
  pairs = concatMap (x: [ x (x + 1) ]) (genList (i: i) (n / 4));
  mirrored = genList (i: elemAt xs i + elemAt xs (n - 1 - i)) n;
  parts = partition (x: x > 1000) xs;
  staged = map (x: x + 1) (filter (x: x / 3 * 3 != x) (map (x: x * 2) xs));
in
{
  total = sum evens;
  pairs = length pairs;
  mirrored = sum mirrored;
  right = length parts.right;
  allNonNegative = all (x: x >= 0) xs;
  anyHuge = any (x: x > n * 100) xs;
  staged = sum staged;
}
